/**
 * Exec over SPDY/3.1 end to end: CRI Exec on the daemon's socket, then our own SPDY client (written
 * from the protocol facts) on the returned URL, against containers on the real dockerd.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { RuntimeService } from "../../src/gen/index.js";
import { startDaemon, type Daemon } from "../kit/daemon.js";
import { isGrpcError, type CriClient } from "../kit/cri-client.js";
import { ensureTestImages } from "../kit/images.js";
import { createContainer, removeContainers } from "./fixtures.js";
import { exitCodeOf, openRemoteCommand, parseStatus } from "../kit/remote-command-client.js";
import { spdyUpgrade } from "../kit/spdy-client.js";
import { WsChannelClient } from "./ws-channel-client.js";

describe("Exec over SPDY", { timeout: 120_000 }, () => {
  let daemon: Daemon;
  let cri: CriClient;
  let running: string;
  let stopped: string;
  let sandboxLike: string;

  before(async () => {
    await ensureTestImages();
    daemon = await startDaemon();
    cri = daemon.client();
    running = await createContainer({ name: "exec", cmd: ["sleep", "3600"] });
    stopped = await createContainer({ name: "exec-stopped", cmd: ["true"], start: false });
    sandboxLike = await createContainer({ name: "exec-sandbox", cmd: ["sleep", "3600"], kind: "podsandbox" });
  });

  after(async () => {
    await removeContainers();
    await daemon.stop();
    await daemon.cleanup();
  });

  const execUrl = async (req: { cmd: string[]; stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean }): Promise<string> => {
    const res = await cri.call(RuntimeService.method.exec, { containerId: running, ...req });
    return res.url;
  };

  it("validates the request", async () => {
    const bad: [Record<string, unknown>, number, RegExp][] = [
      [{ containerId: "", cmd: ["true"], stdout: true }, status.INVALID_ARGUMENT, /container_id is empty/],
      [{ containerId: running, cmd: ["sh"], tty: true, stdout: true, stderr: true }, status.INVALID_ARGUMENT, /tty and stderr/],
      [{ containerId: running, cmd: ["true"] }, status.INVALID_ARGUMENT, /one of stdin, stdout and stderr/],
      [{ containerId: running, cmd: [], stdout: true }, status.INVALID_ARGUMENT, /cmd is empty/],
      [{ containerId: `missing-${randomBytes(4).toString("hex")}`, cmd: ["true"], stdout: true }, status.NOT_FOUND, /no such container/],
      [{ containerId: stopped, cmd: ["true"], stdout: true }, status.FAILED_PRECONDITION, /not running/],
      // A running container docker-cri does not manage as an app container is not a way in.
      [{ containerId: sandboxLike, cmd: ["true"], stdout: true }, status.NOT_FOUND, /no such container/],
    ];
    for (const [req, code, text] of bad) {
      await assert.rejects(cri.call(RuntimeService.method.exec, req), (err) => isGrpcError(err, code, text), JSON.stringify(req));
    }
  });

  it("returns an absolute http:// URL whose token works once", async () => {
    const url = await execUrl({ cmd: ["echo", "hi"], stdout: true });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/exec\/[A-Za-z0-9_-]{22}$/);
    const cmd = await openRemoteCommand(url, { stdout: true });
    assert.equal(cmd.protocol, "v4.channel.k8s.io", "a client offering v5…v1 gets v4 over SPDY");
    const out = await cmd.done();
    assert.equal(out.stdout.toString(), "hi\n");
    assert.equal(parseStatus(out.error).status, "Success");
    const again = await spdyUpgrade(url, ["v4.channel.k8s.io"]);
    assert.equal(again.status, 404, "a used token is gone");
    const unknown = await spdyUpgrade(url.replace(/[^/]+$/, "AAAAAAAA"), ["v4.channel.k8s.io"]);
    assert.equal(unknown.status, 404);
    const wrongKind = await execUrl({ cmd: ["true"], stdout: true });
    assert.equal((await spdyUpgrade(wrongKind.replace("/exec/", "/attach/"), ["v4.channel.k8s.io"])).status, 404, "an exec token is no attach token");
    const plain = await fetch(await execUrl({ cmd: ["true"], stdout: true }), { method: "POST" });
    assert.equal(plain.status, 400, "a request without upgrade headers is refused");
  });

  it("carries 5 MB each way through cat, stdin ending with FIN", async () => {
    const input = randomBytes(5 * 1024 * 1024);
    const cmd = await openRemoteCommand(await execUrl({ cmd: ["cat"], stdin: true, stdout: true, stderr: true }), { stdin: true, stdout: true, stderr: true });
    cmd.stdin?.write(input);
    cmd.stdin?.end();
    const out = await cmd.done();
    assert.equal(out.stdout.length, input.length);
    assert.equal(createHash("sha256").update(out.stdout).digest("hex"), createHash("sha256").update(input).digest("hex"));
    assert.equal(out.stderr.length, 0);
    assert.equal(parseStatus(out.error).status, "Success");
  });

  it("separates stdout and stderr and reports a non-zero exit code as Status JSON", async () => {
    const cmd = await openRemoteCommand(await execUrl({ cmd: ["sh", "-c", "echo out; echo err >&2; exit 3"], stdout: true, stderr: true }), { stdout: true, stderr: true });
    const out = await cmd.done();
    assert.equal(out.stdout.toString(), "out\n");
    assert.equal(out.stderr.toString(), "err\n");
    const st = parseStatus(out.error);
    assert.equal(st.status, "Failure");
    assert.equal(st.reason, "NonZeroExitCode");
    assert.equal(exitCodeOf(st), 3);
    assert.match(st.message ?? "", /non-zero exit code/);
  });

  it("reports a command that cannot start as an InternalError Status", async () => {
    const cmd = await openRemoteCommand(await execUrl({ cmd: ["/no/such/binary"], stdout: true }), { stdout: true });
    const st = parseStatus((await cmd.done()).error);
    assert.equal(st.status, "Failure");
    // Docker 20.10 reports a missing binary as exit code 126/127 of the exec, newer ones fail the start.
    assert.ok(st.reason === "InternalError" || exitCodeOf(st) === 126 || exitCodeOf(st) === 127, JSON.stringify(st));
  });

  it("negotiates from the client's offer: v1 gets plain-text errors; no overlap is 403, no offer 400", async () => {
    const v1 = await openRemoteCommand(await execUrl({ cmd: ["sh", "-c", "exit 5"], stdout: true }), { stdout: true, protocols: ["channel.k8s.io"] });
    assert.equal(v1.protocol, "channel.k8s.io");
    assert.equal((await v1.done()).error, "command terminated with non-zero exit code: exit status 5");
    const v2ok = await openRemoteCommand(await execUrl({ cmd: ["true"], stdout: true }), { stdout: true, protocols: ["v2.channel.k8s.io"] });
    assert.equal((await v2ok.done()).error, "", "success writes nothing before v4");
    const none = await spdyUpgrade(await execUrl({ cmd: ["true"], stdout: true }), ["v5.channel.k8s.io", "v9.channel.k8s.io"]);
    assert.equal(none.status, 403);
    assert.match(String(none.headers["x-accepted-stream-protocol-versions"]), /v4\.channel\.k8s\.io/);
    const missing = await spdyUpgrade(await execUrl({ cmd: ["true"], stdout: true }), []);
    assert.equal(missing.status, 400);
  });

  it("runs an interactive TTY and follows resizes", async () => {
    const cmd = await openRemoteCommand(await execUrl({ cmd: ["sh"], tty: true, stdin: true, stdout: true }), { tty: true, stdin: true, stdout: true });
    assert.ok(cmd.resize !== undefined, "v4 with a TTY has a resize stream");
    cmd.resize.write(`${JSON.stringify({ Width: 123, Height: 45 })}\n`);
    cmd.stdin?.write("stty size\n");
    await cmd.stdout?.waitFor(/45 123/);
    // Keys are case-insensitive, as Go's decoder reads them.
    cmd.resize.write('{"width":81,"height":26}\n');
    await new Promise((r) => setTimeout(r, 300));
    cmd.stdin?.write("stty size; exit 7\n");
    const out = await cmd.done();
    assert.match(out.stdout.toString(), /26 81/);
    assert.equal(exitCodeOf(parseStatus(out.error)), 7);
  });

  it("echoes PINGs and ends the connection with GOAWAY", async () => {
    const cmd = await openRemoteCommand(await execUrl({ cmd: ["sh", "-c", "sleep 0.5; echo done"], stdout: true }), { stdout: true });
    await cmd.client.ping(1);
    await cmd.client.ping(3);
    const out = await cmd.done();
    assert.equal(out.stdout.toString(), "done\n");
    await cmd.client.closed;
    assert.deepEqual(cmd.client.goaways[0], [cmd.stdout?.id, 0], "GOAWAY names the last stream and status OK");
  });

  it("refuses new streams after the client's GOAWAY and never crashes on garbage", async () => {
    const cmd = await openRemoteCommand(await execUrl({ cmd: ["sleep", "1"], stdout: true }), { stdout: true });
    cmd.client.goaway();
    await assert.rejects(cmd.client.openStream({ streamType: "stdin" }), /refused/);
    const out = await cmd.done();
    assert.equal(parseStatus(out.error).status, "Success", "streams open before the GOAWAY finish normally");
    const raw = await spdyUpgrade(await execUrl({ cmd: ["true"], stdout: true }), ["v4.channel.k8s.io"]);
    raw.client?.sendRaw(Buffer.from([0x80, 0x02, 0x00, 0x01, 0, 0, 0, 2, 1, 2]));
    await raw.client?.closed;
    // A client that vanishes mid-command takes its Docker exec connection with it, and nothing else.
    const gone = await openRemoteCommand(await execUrl({ cmd: ["sh", "-c", "while true; do echo tick; sleep 0.1; done"], stdin: true, stdout: true }), { stdin: true, stdout: true });
    await gone.stdout?.waitFor(/tick/);
    gone.client.destroy();
    // The daemon still serves.
    const ok = await openRemoteCommand(await execUrl({ cmd: ["echo", "alive"], stdout: true }), { stdout: true });
    assert.equal((await ok.done()).stdout.toString(), "alive\n");
  });
});

describe("Streaming tokens and idle connections", { timeout: 120_000 }, () => {
  let daemon: Daemon;
  let cri: CriClient;
  let running: string;

  before(async () => {
    await ensureTestImages();
    daemon = await startDaemon({ args: ["--streaming-connection-idle-timeout=2s"] });
    cri = daemon.client();
    running = await createContainer({ name: "idle", cmd: ["sleep", "3600"] });
  });

  after(async () => {
    await removeContainers();
    await daemon.stop();
    await daemon.cleanup();
  });

  it("closes a connection idle for longer than --streaming-connection-idle-timeout, not a busy one", async () => {
    const busy = await openRemoteCommand((await cri.call(RuntimeService.method.exec, { containerId: running, cmd: ["sh", "-c", "for i in 1 2 3 4 5 6 7; do echo $i; sleep 0.5; done"], stdout: true })).url, { stdout: true });
    const idle = await openRemoteCommand((await cri.call(RuntimeService.method.exec, { containerId: running, cmd: ["sleep", "30"], stdout: true })).url, { stdout: true });
    const started = Date.now();
    await idle.client.closed;
    const took = Date.now() - started;
    assert.ok(took >= 1500 && took < 15_000, `closed after ${took} ms`);
    const out = await busy.done();
    assert.equal(out.stdout.toString(), "1\n2\n3\n4\n5\n6\n7\n", "a session with traffic every 0.5 s outlives the 2 s idle timeout");
    assert.equal(parseStatus(out.error).status, "Success");
  });

  it("closes an idle WebSocket connection too", async () => {
    const ws = await WsChannelClient.connect((await cri.call(RuntimeService.method.exec, { containerId: running, cmd: ["sleep", "30"], stdout: true })).url, ["v5.channel.k8s.io"]);
    const started = Date.now();
    await ws.closed;
    const took = Date.now() - started;
    assert.ok(took >= 1500 && took < 15_000, `closed after ${took} ms`);
  });

  it("allows at most 1000 outstanding tokens", async () => {
    const req = { containerId: running, cmd: ["true"], stdout: true };
    for (let i = 0; i < 1000; i++) await cri.call(RuntimeService.method.exec, req);
    await assert.rejects(cri.call(RuntimeService.method.exec, req), (err) => isGrpcError(err, status.RESOURCE_EXHAUSTED, /in-flight/));
  });
});
