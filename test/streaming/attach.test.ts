/**
 * Attach end to end: CRI Attach, then SPDY (and WebSocket) on the URL, to containers running on the
 * real dockerd.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { RuntimeService } from "../../src/gen/index.js";
import { startDaemon, type Daemon } from "../kit/daemon.js";
import { isGrpcError, type CriClient } from "../kit/cri-client.js";
import { dockerJson } from "../kit/docker-api.js";
import { ensureTestImages } from "../kit/images.js";
import { createContainer, removeContainers } from "./fixtures.js";
import { openRemoteCommand, parseStatus } from "../kit/remote-command-client.js";
import { WsChannelClient } from "./ws-channel-client.js";

/** Reads back lines, answering each; prints to stderr too, so both streams can be checked. */
const echoLoop = ["sh", "-c", 'while read l; do echo "got:$l"; echo "err:$l" >&2; done'];

describe("Attach", { timeout: 120_000 }, () => {
  let daemon: Daemon;
  let cri: CriClient;

  before(async () => {
    await ensureTestImages();
    daemon = await startDaemon();
    cri = daemon.client();
  });

  after(async () => {
    await removeContainers();
    await daemon.stop();
    await daemon.cleanup();
  });

  it("validates the request and the container", async () => {
    const stopped = await createContainer({ name: "attach-stopped", cmd: ["true"], start: false });
    await assert.rejects(cri.call(RuntimeService.method.attach, { containerId: "", stdout: true }), (e) => isGrpcError(e, status.INVALID_ARGUMENT, /container_id is empty/));
    await assert.rejects(cri.call(RuntimeService.method.attach, { containerId: stopped, tty: true, stdout: true, stderr: true }), (e) => isGrpcError(e, status.INVALID_ARGUMENT, /tty and stderr/));
    await assert.rejects(cri.call(RuntimeService.method.attach, { containerId: stopped }), (e) => isGrpcError(e, status.INVALID_ARGUMENT, /one of stdin/));
    await assert.rejects(cri.call(RuntimeService.method.attach, { containerId: `nope-${randomBytes(4).toString("hex")}`, stdout: true }), (e) => isGrpcError(e, status.NOT_FOUND));
    await assert.rejects(cri.call(RuntimeService.method.attach, { containerId: stopped, stdout: true }), (e) => isGrpcError(e, status.FAILED_PRECONDITION, /not running/));
  });

  it("attaches to a running container over SPDY: stdin in, stdout and stderr out, ends when stdin ends", async () => {
    const id = await createContainer({ name: "attach", cmd: echoLoop, openStdin: true });
    const { url } = await cri.call(RuntimeService.method.attach, { containerId: id, stdin: true, stdout: true, stderr: true });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/attach\/[A-Za-z0-9_-]{22}$/);
    const cmd = await openRemoteCommand(url, { stdin: true, stdout: true, stderr: true });
    cmd.stdin?.write("hello\n");
    await cmd.stdout?.waitFor(/got:hello\n/);
    await cmd.stderr?.waitFor(/err:hello\n/);
    cmd.stdin?.write("again\n");
    await cmd.stdout?.waitFor(/got:again\n/);
    // Docker ends an attach whose stdin closed (the container is not StdinOnce, so it keeps running).
    cmd.stdin?.end();
    const out = await cmd.done();
    assert.equal(out.stdout.toString(), "got:hello\ngot:again\n");
    assert.equal(parseStatus(out.error).status, "Success");
    const state = await dockerJson({ method: "GET", path: `/containers/${id}/json` });
    assert.equal(Reflect.get(Reflect.get(state as object, "State") as object, "Running"), true, "detaching does not stop the container");
  });

  it("attaches to a TTY container, resizes it, and ends when the container exits", async () => {
    const id = await createContainer({ name: "attach-tty", cmd: ["sh"], tty: true, openStdin: true });
    const { url } = await cri.call(RuntimeService.method.attach, { containerId: id, tty: true, stdin: true, stdout: true });
    const cmd = await openRemoteCommand(url, { tty: true, stdin: true, stdout: true });
    assert.ok(cmd.resize !== undefined);
    cmd.resize.write(`${JSON.stringify({ Width: 111, Height: 37 })}\n`);
    await new Promise((r) => setTimeout(r, 300));
    cmd.stdin?.write("stty size\n");
    await cmd.stdout?.waitFor(/37 111/);
    cmd.stdin?.write("exit\n");
    const out = await cmd.done();
    assert.equal(parseStatus(out.error).status, "Success");
  });

  it("attaches over WebSocket v5", async () => {
    const id = await createContainer({ name: "attach-ws", cmd: echoLoop, openStdin: true });
    const { url } = await cri.call(RuntimeService.method.attach, { containerId: id, stdin: true, stdout: true, stderr: true });
    const client = await WsChannelClient.connect(url, ["v5.channel.k8s.io"]);
    client.send(0, "ws\n");
    await client.waitFor(1, /got:ws\n/);
    await client.waitFor(2, /err:ws\n/);
    client.sendClose(0);
    const closed = await client.closed;
    assert.equal(closed.code, 1000);
    assert.equal(parseStatus(client.text(3)).status, "Success");
  });
});
