import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { HttpTransport, formatGoDuration, parseEndpoint } from "../../src/docker/index.js";
import { CriError } from "../../src/errors/index.js";

describe("parseEndpoint", () => {
  it("accepts unix URLs, bare paths, tcp:// and http:// and canonicalizes them", () => {
    assert.deepEqual(parseEndpoint("unix:///var/run/docker.sock"), { kind: "unix", socketPath: "/var/run/docker.sock", url: "unix:///var/run/docker.sock" });
    assert.deepEqual(parseEndpoint("/run/docker.sock"), { kind: "unix", socketPath: "/run/docker.sock", url: "unix:///run/docker.sock" });
    assert.deepEqual(parseEndpoint("tcp://10.0.0.1:2375"), { kind: "tcp", host: "10.0.0.1", port: 2375, url: "tcp://10.0.0.1:2375" });
    assert.deepEqual(parseEndpoint("http://docker.local:1234"), { kind: "tcp", host: "docker.local", port: 1234, url: "tcp://docker.local:1234" });
    assert.deepEqual(parseEndpoint("tcp://[::1]:2375"), { kind: "tcp", host: "::1", port: 2375, url: "tcp://[::1]:2375" });
  });

  it("rejects what it cannot connect to", () => {
    for (const bad of ["npipe:////./pipe/docker_engine", "unix://relative.sock", "docker.sock", "tcp://host:2375/path"]) {
      assert.throws(() => parseEndpoint(bad), (err: unknown) => err instanceof CriError && err.kind === "InvalidArgument" && err.message.includes(bad), bad);
    }
  });
});

describe("HttpTransport over TCP", () => {
  it("talks plain HTTP to a tcp:// endpoint", async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? "");
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("OK");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo; // listen() on a port always yields an AddressInfo
    const t = new HttpTransport({ endpoint: `tcp://127.0.0.1:${port}`, requestTimeoutMs: 5000 });
    try {
      t.useApiVersion("1.41");
      const res = await t.request({ operation: "ping", method: "GET", path: "/_ping" });
      assert.equal(res.body, "OK");
      assert.deepEqual(seen, ["/v1.41/_ping"]);
      assert.equal(t.endpoint, `tcp://127.0.0.1:${port}`);
    } finally {
      await t.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    }
  });
});

describe("formatGoDuration", () => {
  it("prints durations like Go's time.Duration", () => {
    assert.equal(formatGoDuration(120_000), "2m0s");
    assert.equal(formatGoDuration(100), "100ms");
    assert.equal(formatGoDuration(1500), "1.5s");
    assert.equal(formatGoDuration(3_600_000), "1h0m0s");
    assert.equal(formatGoDuration(3_723_000), "1h2m3s");
    assert.equal(formatGoDuration(0), "0s");
  });
});
