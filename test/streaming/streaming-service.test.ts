/**
 * The streaming server's own rules, in process with short timeouts that the daemon's flags do not
 * expose (token TTL, stream creation timeout): a real HTTP server on a free port and our SPDY client,
 * with a stand-in runtime since no container is involved in these rules.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { StreamingRuntime } from "../../src/cri/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { createStreamingService, startStreamingServer, type StreamingServer, type StreamingService } from "../../src/streaming-server/index.js";
import { openRemoteCommand, parseStatus } from "../kit/remote-command-client.js";
import { spdyUpgrade } from "../kit/spdy-client.js";

const runtime: StreamingRuntime = {
  exec(spec, io) {
    io.stdout?.write(`ran ${spec.cmd.join(" ")}\n`);
    return Promise.resolve({ exitCode: 0 });
  },
  attach() {
    return Promise.reject(new Error("no attach here"));
  },
  portForwardNetns() {
    return Promise.resolve("/proc/self/ns/net");
  },
};

describe("Streaming service rules", { timeout: 60_000 }, () => {
  let server: StreamingServer;
  let service: StreamingService;

  before(async () => {
    server = await startStreamingServer({ host: "127.0.0.1", port: 0, idleTimeoutMs: 0, log: silentLogger() });
    service = createStreamingService({ baseUrl: server.baseUrl, runtime, log: silentLogger(), cache: { ttlMs: 300 }, streamCreationTimeoutMs: 400 });
    server.addRoute(service.route);
  });

  after(async () => {
    await server.close();
  });

  const spec = { containerId: "c1", cmd: ["x"], tty: false, stdin: false, stdout: true, stderr: false };

  it("answers 404 for an expired token", async () => {
    const url = service.urls.exec(spec);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await spdyUpgrade(url, ["v4.channel.k8s.io"])).status, 404);
    const fresh = await openRemoteCommand(service.urls.exec(spec), { stdout: true });
    const out = await fresh.done();
    assert.equal(out.stdout.toString(), "ran x\n");
    assert.equal(parseStatus(out.error).status, "Success");
  });

  it("answers 404 off the routes and 405 for other methods", async () => {
    assert.equal((await fetch(`${server.baseUrl}/nothing/here`)).status, 404);
    assert.equal((await fetch(service.urls.exec(spec), { method: "PUT" })).status, 405);
  });

  it("drops a session whose client does not open all its streams in time", async () => {
    // The server's clock starts when it upgrades the connection, before our upgrade call returns, so
    // ours starts before the request: 286 ms was seen from the stream's reply on a loaded machine.
    const started = Date.now();
    const up = await spdyUpgrade(service.urls.exec(spec), ["v4.channel.k8s.io"]);
    assert.ok(up.client !== undefined);
    await up.client.openStream({ streamType: "error" });
    await up.client.closed;
    const took = Date.now() - started;
    assert.ok(took >= 400 && took < 5_000, `closed after ${took} ms (the bound is 400 ms)`);
  });

  it("drops a port-forward pair whose data stream never comes, saying so on its error stream", async () => {
    const up = await spdyUpgrade(service.urls.portForward({ podSandboxId: "p1", ports: [] }), ["portforward.k8s.io"]);
    assert.ok(up.client !== undefined);
    const error = await up.client.openStream({ streamType: "error", port: "80", requestID: "0" });
    error.end();
    await error.ended;
    assert.match(error.text(), /timed out waiting for the data stream of request 0/);
    up.client.destroy();
  });
});
