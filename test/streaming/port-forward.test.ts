/**
 * PortForward end to end: a "pod" (a container with only loopback, IPv6 enabled on it) serves HTTP on
 * 127.0.0.1:8080 and [::1]:8081 inside its own network namespace; we reach both through the daemon's
 * streaming server over SPDY (the kubelet's way), over WebSocket channels, and over SPDY tunnelled in
 * WebSocket (crictl -r websocket).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { RuntimeService } from "../../src/gen/index.js";
import { startDaemon, type Daemon } from "../kit/daemon.js";
import { isGrpcError, type CriClient } from "../kit/cri-client.js";
import { ensureTestImages } from "../kit/images.js";
import { waitFor } from "../kit/wait-for.js";
import { buildNetnsAddon, createContainer, removeContainers } from "./fixtures.js";
import { rawWebSocket } from "./raw-websocket.js";
import { spdyUpgrade, SpdyClient } from "../kit/spdy-client.js";
import { WsChannelClient } from "./ws-channel-client.js";

const podScript = [
  "mkdir -p /v4/cgi-bin /v6",
  "echo v4-ok > /v4/index.html",
  "echo v6-ok > /v6/index.html",
  "head -c 3000000 /dev/urandom > /v4/big",
  "md5sum /v4/big | cut -d' ' -f1 > /v4/big.md5",
  `printf '#!/bin/sh\\necho "Content-Type: text/plain"\\necho\\ncat | md5sum\\n' > /v4/cgi-bin/sum`,
  "chmod +x /v4/cgi-bin/sum",
  "httpd -p 127.0.0.1:8080 -h /v4",
  "httpd -p [::1]:8081 -h /v6",
  "exec sleep 3600",
].join(" && ");

const get = (path: string): Buffer => Buffer.from(`GET ${path} HTTP/1.0\r\n\r\n`);

/** The body after the first blank line (busybox's CGI answers end their headers with bare \n). */
function body(response: Buffer): Buffer {
  const m = /\r?\n\r?\n/.exec(response.toString("latin1"));
  if (m === null) throw new Error(`not an HTTP response: ${JSON.stringify(response.subarray(0, 200).toString())}`);
  return response.subarray(m.index + m[0].length);
}

/** One forwarded connection as client-go makes it: error stream (half-closed at once), then data stream. */
async function forward(client: SpdyClient, requestId: number, port: number, request: Buffer): Promise<{ data: Buffer; error: string }> {
  const headers = { port: String(port), requestID: String(requestId) };
  const error = await client.openStream({ streamType: "error", ...headers });
  error.end();
  const data = await client.openStream({ streamType: "data", ...headers });
  data.write(request);
  data.end();
  await Promise.race([data.ended, error.ended.then(() => (error.text() === "" ? data.ended : undefined))]);
  return { data: data.data(), error: error.text() };
}

describe("PortForward", { timeout: 120_000 }, () => {
  let daemon: Daemon;
  let cri: CriClient;
  let pod: string;

  before(async () => {
    buildNetnsAddon();
    await ensureTestImages();
    daemon = await startDaemon();
    cri = daemon.client();
    pod = await createContainer({ name: "pod", cmd: ["sh", "-c", podScript], loopbackWithIpv6: true, kind: "podsandbox" });
    // The servers inside come up a moment after the container starts; until then a forward may fail.
    const serving = async (): Promise<boolean> => {
      const client = await spdyClient([]);
      const [a, b] = await Promise.all([forward(client, 0, 8080, get("/big.md5")), forward(client, 1, 8081, get("/"))]);
      client.destroy();
      return a.error === "" && body(a.data).length === 33 && b.error === "";
    };
    await waitFor("the servers in the pod", () => serving().catch(() => false), { timeoutMs: 20_000, intervalMs: 100 });
  });

  after(async () => {
    await removeContainers();
    await daemon.stop();
    await daemon.cleanup();
  });

  const pfUrl = async (ports: number[] = []): Promise<string> => (await cri.call(RuntimeService.method.portForward, { podSandboxId: pod, port: ports })).url;

  const spdyClient = async (ports: number[]): Promise<SpdyClient> => {
    const up = await spdyUpgrade(await pfUrl(ports), ["portforward.k8s.io"]);
    assert.equal(up.status, 101, up.body);
    assert.equal(up.headers["x-stream-protocol-version"], "portforward.k8s.io");
    assert.ok(up.client !== undefined);
    return up.client;
  };

  it("validates the request", async () => {
    await assert.rejects(cri.call(RuntimeService.method.portForward, { podSandboxId: "" }), (e) => isGrpcError(e, status.INVALID_ARGUMENT, /pod_sandbox_id is empty/));
    await assert.rejects(cri.call(RuntimeService.method.portForward, { podSandboxId: pod, port: [70000] }), (e) => isGrpcError(e, status.INVALID_ARGUMENT, /70000/));
    await assert.rejects(cri.call(RuntimeService.method.portForward, { podSandboxId: `nope-${randomBytes(4).toString("hex")}` }), (e) => isGrpcError(e, status.NOT_FOUND));
    // An app container is not a pod sandbox: no port forwarding into it.
    const app = await createContainer({ name: "pf-app", cmd: ["sleep", "3600"], kind: "container" });
    await assert.rejects(cri.call(RuntimeService.method.portForward, { podSandboxId: app }), (e) => isGrpcError(e, status.NOT_FOUND, /no such sandbox/));
    const url = await pfUrl();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/portforward\/[A-Za-z0-9_-]{22}$/);
  });

  it("forwards to IPv4 and IPv6 servers over SPDY, two connections at once on one session", async () => {
    const client = await spdyClient([]);
    const [v4, v6, big] = await Promise.all([
      forward(client, 0, 8080, get("/")),
      forward(client, 1, 8081, get("/")),
      forward(client, 2, 8080, get("/big")),
    ]);
    assert.equal(v4.error, "");
    assert.equal(body(v4.data).toString(), "v4-ok\n");
    assert.equal(v6.error, "");
    assert.equal(body(v6.data).toString(), "v6-ok\n", "::1 is reached when nothing listens on 127.0.0.1");
    const sum = await forward(client, 3, 8080, get("/big.md5"));
    assert.equal(createHash("md5").update(body(big.data)).digest("hex"), body(sum.data).toString().trim(), "3 MB downloaded intact");
    // And 2 MB the other way: the pod's CGI answers the MD5 of what it received.
    const upload = randomBytes(2 * 1024 * 1024);
    const post = Buffer.concat([Buffer.from(`POST /cgi-bin/sum HTTP/1.0\r\nContent-Length: ${upload.length}\r\n\r\n`), upload]);
    const echoed = await forward(client, 4, 8080, post);
    assert.equal(body(echoed.data).toString().split(" ")[0], createHash("md5").update(upload).digest("hex"), "2 MB uploaded intact");
    await client.ping(7);
    client.goaway();
    await client.closed;
  });

  it("reports a port nothing listens on on the error stream, and refuses invalid streams", async () => {
    const client = await spdyClient([]);
    const res = await forward(client, 0, 9, get("/"));
    assert.match(res.error, /error forwarding port 9 to pod .*Nothing listens on port 9/);
    await assert.rejects(client.openStream({ streamType: "data", port: "0", requestID: "5" }), /refused/);
    await assert.rejects(client.openStream({ streamType: "bogus", port: "80", requestID: "6" }), /refused/);
    const ok = await forward(client, 7, 8080, get("/"));
    assert.equal(body(ok.data).toString(), "v4-ok\n", "the session survives refused streams");
    client.destroy();
  });

  it("forwards the request's ports over WebSocket channels", async () => {
    const client = await WsChannelClient.connect(await pfUrl([8080, 8081]), ["v4.channel.k8s.io"]);
    assert.equal(client.protocol, "v4.channel.k8s.io");
    const port = (ch: number): number | undefined => client.messages.find((m) => m.channel === ch)?.data.readUInt16LE(0);
    client.send(0, get("/"));
    client.send(2, get("/"));
    const closed = await client.closed;
    assert.equal(closed.code, 1000, "closed once both connections ended");
    assert.deepEqual([port(0), port(1), port(2), port(3)], [8080, 8080, 8081, 8081], "each channel starts with its port, little-endian");
    assert.equal(body(client.data(0).subarray(2)).toString(), "v4-ok\n");
    assert.equal(body(client.data(2).subarray(2)).toString(), "v6-ok\n");
    assert.equal(client.data(1).length, 2, "nothing on the error channel but the port");
  });

  it("forwards SPDY tunnelled in WebSocket (SPDY/3.1+portforward.k8s.io)", async () => {
    const ws = await rawWebSocket(await pfUrl(), "SPDY/3.1+portforward.k8s.io");
    assert.equal(ws.protocol, "SPDY/3.1+portforward.k8s.io");
    const client = new SpdyClient(ws.stream, Buffer.alloc(0));
    const [v4, v6] = await Promise.all([forward(client, 0, 8080, get("/")), forward(client, 1, 8081, get("/"))]);
    assert.equal(body(v4.data).toString(), "v4-ok\n");
    assert.equal(body(v6.data).toString(), "v6-ok\n");
    client.goaway();
    await client.closed;
  });
});
