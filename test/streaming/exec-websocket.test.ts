/**
 * Exec and attach over WebSocket end to end, with the channel protocols of streaming.md §6, on the
 * `ws` client and our channel framing written from the facts.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { RuntimeService } from "../../src/gen/index.js";
import { startDaemon, type Daemon } from "../kit/daemon.js";
import type { CriClient } from "../kit/cri-client.js";
import { ensureTestImages } from "../kit/images.js";
import { createContainer, removeContainers } from "./fixtures.js";
import { exitCodeOf, parseStatus } from "../kit/remote-command-client.js";
import { WsChannelClient } from "./ws-channel-client.js";

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;

describe("Exec over WebSocket", { timeout: 120_000 }, () => {
  let daemon: Daemon;
  let cri: CriClient;
  let running: string;

  before(async () => {
    await ensureTestImages();
    daemon = await startDaemon();
    cri = daemon.client();
    running = await createContainer({ name: "ws-exec", cmd: ["sleep", "3600"] });
  });

  after(async () => {
    await removeContainers();
    await daemon.stop();
    await daemon.cleanup();
  });

  const execUrl = async (req: { cmd: string[]; stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean }): Promise<string> =>
    (await cri.call(RuntimeService.method.exec, { containerId: running, ...req })).url;

  it("v5.channel.k8s.io: ready signal, 5 MB through cat, stdin closed with the CLOSE signal, Status JSON, close 1000", async () => {
    const client = await WsChannelClient.connect(await execUrl({ cmd: ["cat"], stdin: true, stdout: true }), ["v5.channel.k8s.io"]);
    assert.equal(client.protocol, "v5.channel.k8s.io");
    const input = randomBytes(5 * 1024 * 1024);
    for (let off = 0; off < input.length; off += 32 * 1024) client.send(STDIN, input.subarray(off, off + 32 * 1024));
    client.sendClose(STDIN);
    const closed = await client.closed;
    assert.equal(closed.code, 1000);
    const first = client.messages[0];
    assert.ok(first !== undefined);
    assert.deepEqual([first.channel, first.data.length], [STDOUT, 0], "an empty stdout message says the streams are ready");
    const out = client.data(STDOUT);
    assert.equal(out.length, input.length);
    assert.equal(createHash("sha256").update(out).digest("hex"), createHash("sha256").update(input).digest("hex"));
    assert.equal(parseStatus(client.text(ERROR)).status, "Success");
  });

  it("v4.base64.channel.k8s.io: text frames, stderr apart, non-zero exit code", async () => {
    const client = await WsChannelClient.connect(await execUrl({ cmd: ["sh", "-c", "echo out; echo err >&2; exit 2"], stdout: true, stderr: true }), ["v4.base64.channel.k8s.io"]);
    assert.equal(client.protocol, "v4.base64.channel.k8s.io");
    await client.closed;
    assert.equal(client.text(STDOUT), "out\n");
    assert.equal(client.text(STDERR), "err\n");
    assert.equal(exitCodeOf(parseStatus(client.text(ERROR))), 2);
  });

  it("channel.k8s.io and base64.channel.k8s.io report plain text, and nothing on success", async () => {
    const v1 = await WsChannelClient.connect(await execUrl({ cmd: ["sh", "-c", "exit 4"], stdout: true }), ["channel.k8s.io"]);
    await v1.closed;
    assert.equal(v1.text(ERROR), "command terminated with non-zero exit code: exit status 4");
    const b64 = await WsChannelClient.connect(await execUrl({ cmd: ["echo", "fine"], stdout: true }), ["base64.channel.k8s.io"]);
    await b64.closed;
    assert.equal(b64.text(STDOUT), "fine\n");
    assert.equal(b64.text(ERROR), "");
  });

  it("picks the client's first supported offer and refuses an offer with nothing supported", async () => {
    const c = await WsChannelClient.connect(await execUrl({ cmd: ["true"], stdout: true }), ["v9.channel.k8s.io", "v4.channel.k8s.io", "v5.channel.k8s.io"]);
    assert.equal(c.protocol, "v4.channel.k8s.io");
    await c.closed;
    await assert.rejects(WsChannelClient.connect(await execUrl({ cmd: ["true"], stdout: true }), ["v9.channel.k8s.io"]), /403/);
  });

  it("runs a TTY with resizes on channel 4", async () => {
    const client = await WsChannelClient.connect(await execUrl({ cmd: ["sh"], tty: true, stdin: true, stdout: true }), ["v5.channel.k8s.io"]);
    client.send(RESIZE, `${JSON.stringify({ Width: 99, Height: 33 })}\n`);
    client.send(STDIN, "stty size\n");
    await client.waitFor(STDOUT, /33 99/);
    client.send(RESIZE, `${JSON.stringify({ Width: 70, Height: 20 })}\n`);
    await new Promise((r) => setTimeout(r, 300));
    client.send(STDIN, "stty size; exit 9\n");
    await client.closed;
    assert.match(client.text(STDOUT), /20 70/);
    assert.equal(exitCodeOf(parseStatus(client.text(ERROR))), 9);
  });
});
