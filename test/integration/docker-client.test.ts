/**
 * The Docker client against the real dockerd (/var/run/docker.sock, or DOCKER_CRI_TEST_DOCKER_SOCKET's
 * engine under `npm run test:engines`). Failure paths the daemon
 * cannot produce on demand live in test/docker/ against the fake engine.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { after, before, describe, it } from "node:test";
import { DockerClient, OUR_MAX_API_VERSION, HttpTransport, compareApiVersions, minApiVersion } from "../../src/docker/index.js";
import { CriError } from "../../src/errors/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { DEFAULT_DOCKER_SOCKET, dockerJson, isRecord } from "../kit/docker-api.js";

const DOCKER_SOCKET = DEFAULT_DOCKER_SOCKET;
const skip = existsSync(DOCKER_SOCKET) ? false : `no Docker daemon at ${DOCKER_SOCKET}`;

/** A unix-socket proxy in front of dockerd that counts the connections clients open through it. */
interface CountingProxy {
  readonly socketPath: string;
  readonly connections: number;
  close(): Promise<void>;
}

async function startCountingProxy(): Promise<CountingProxy> {
  const dir = await mkdtemp(join(tmpdir(), "docker-cri-proxy-"));
  const socketPath = join(dir, "docker.sock");
  const open = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((client) => {
    connections++;
    const upstream = connect(DOCKER_SOCKET);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("close", () => open.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    get connections() {
      return connections;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function client(transport: HttpTransport): DockerClient {
  return new DockerClient(transport, { endpoint: transport.endpoint, requestTimeoutMs: 30_000, imagePullProgressDeadlineMs: 60_000, log: silentLogger() });
}

describe("DockerClient against the real dockerd", { skip }, () => {
  let transport: HttpTransport;
  let docker: DockerClient;
  /** What the daemon says about itself, read without our client. */
  let daemonVersion: { Version: string; ApiVersion: string };

  before(async () => {
    const raw = await dockerJson({ method: "GET", path: "/version" });
    assert.ok(isRecord(raw) && typeof raw.Version === "string" && typeof raw.ApiVersion === "string");
    daemonVersion = { Version: raw.Version, ApiVersion: raw.ApiVersion };
    transport = new HttpTransport({ endpoint: `unix://${DOCKER_SOCKET}`, requestTimeoutMs: 30_000 });
    docker = client(transport);
  });

  after(async () => {
    await docker.close();
  });

  it("negotiates min(ours, the daemon's) API version", async () => {
    const v = await docker.negotiate();
    assert.equal(v.daemonApiVersion, daemonVersion.ApiVersion);
    assert.equal(v.apiVersion, minApiVersion(OUR_MAX_API_VERSION, daemonVersion.ApiVersion));
    // This machine runs Debian's docker.io 20.10, which speaks 1.41.
    if (daemonVersion.ApiVersion === "1.41") assert.equal(v.apiVersion, "1.41");
    assert.equal(docker.apiVersion, v.apiVersion);
    assert.equal(v.version, daemonVersion.Version);
  });

  it("parses version, info and ping", async () => {
    const v = await docker.version();
    assert.equal(v.version, daemonVersion.Version);
    assert.equal(v.apiVersion, daemonVersion.ApiVersion);
    assert.equal(v.os, "linux");
    assert.ok(v.arch !== "" && v.kernelVersion !== "", JSON.stringify(v));
    assert.ok(compareApiVersions(v.minApiVersion, v.apiVersion) <= 0);

    const info = await docker.info();
    assert.ok(["cgroupfs", "systemd"].includes(info.cgroupDriver), info.cgroupDriver);
    assert.ok(["1", "2"].includes(info.cgroupVersion), info.cgroupVersion);
    assert.ok(info.dockerRootDir.startsWith("/"), info.dockerRootDir);
    assert.equal(info.serverVersion, daemonVersion.Version);
    assert.ok(info.runtimes.includes("runc"), info.runtimes.join(","));
    assert.ok(info.runtimes.includes(info.defaultRuntime), info.defaultRuntime);
    assert.ok(info.securityOptions.every((o) => o.startsWith("name=")), info.securityOptions.join(" "));
    assert.ok(info.loggingDriver !== "");
    assert.ok(info.ncpu > 0);

    await docker.ping();
  });

  it("maps the daemon's real 404, 409 and 400 answers to kinds", async () => {
    await assert.rejects(
      transport.request({ operation: "inspect_container", method: "GET", path: "/containers/docker-cri-no-such-container/json" }),
      (err: unknown) => err instanceof CriError && err.kind === "NotFound" && err.message === 'Docker "inspect_container" failed: No such container: docker-cri-no-such-container',
    );
    await assert.rejects(
      transport.request({ operation: "list_containers", method: "GET", path: "/containers/json", query: { filters: { bogus: ["x"] } } }),
      (err: unknown) => err instanceof CriError && err.kind === "InvalidArgument" && /^Docker "list_containers" failed: .*bogus/i.test(err.message),
    );
    const name = `docker-cri-test-${process.pid}-${Date.now()}`;
    const created = await transport.request({ operation: "create_network", method: "POST", path: "/networks/create", body: { Name: name, CheckDuplicate: true } });
    try {
      assert.equal(created.status, 201);
      await assert.rejects(
        transport.request({ operation: "create_network", method: "POST", path: "/networks/create", body: { Name: name, CheckDuplicate: true } }),
        (err: unknown) => err instanceof CriError && err.kind === "AlreadyExists" && err.message.includes(name),
      );
    } finally {
      await transport.request({ operation: "remove_network", method: "DELETE", path: `/networks/${encodeURIComponent(name)}` });
    }
  });

  it("streams events between since and until", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const name = `docker-cri-test-${process.pid}-${Date.now()}`;
    await transport.request({ operation: "create_volume", method: "POST", path: "/volumes/create", body: { Name: name } });
    await transport.request({ operation: "remove_volume", method: "DELETE", path: `/volumes/${encodeURIComponent(name)}` });
    const until = Math.floor(Date.now() / 1000) + 1;
    const res = await transport.stream({
      operation: "events",
      method: "GET",
      path: "/events",
      query: { since: String(since), until: String(until), filters: { type: ["volume"], volume: [name] } },
    });
    assert.equal(res.status, 200);
    // With `until` the daemon closes the stream itself once that time has passed.
    const events = (await text(res.body))
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as unknown);
    const actions = events.map((e) => (isRecord(e) ? e.Action : undefined));
    assert.deepEqual(actions, ["create", "destroy"]);
  });

  it("ends an open-ended event stream with DeadlineExceeded at its timeout", async () => {
    const res = await transport.stream({ operation: "events", method: "GET", path: "/events", query: { filters: { type: ["plugin"] } }, timeoutMs: 300 });
    await assert.rejects(text(res.body), (err: unknown) => err instanceof CriError && err.kind === "DeadlineExceeded" && err.message === 'Docker "events" timed out after 300ms');
  });

  it("reuses pooled connections", async () => {
    const proxy = await startCountingProxy();
    const pooled = new HttpTransport({ endpoint: `unix://${proxy.socketPath}`, requestTimeoutMs: 30_000, connections: 16 });
    try {
      const c = client(pooled);
      await c.negotiate();
      for (let i = 0; i < 5; i++) await c.ping();
      // A second connection may open while the first one's completion is still being processed
      // (the agent frees a socket a tick after the body ends); after that, none.
      const warm = proxy.connections;
      assert.ok(warm <= 2, `6 sequential requests opened ${warm} connections`);
      for (let i = 0; i < 45; i++) await c.ping();
      assert.equal(proxy.connections, warm, `45 more sequential requests opened ${proxy.connections - warm} more connections`);
      // Concurrent calls open more, but never more than the pool's bound.
      await Promise.all(Array.from({ length: 40 }, () => c.info()));
      assert.ok(proxy.connections > 1 && proxy.connections <= 16, `40 concurrent requests used ${proxy.connections} connections`);
    } finally {
      await pooled.close();
      await proxy.close();
    }
  });
});
