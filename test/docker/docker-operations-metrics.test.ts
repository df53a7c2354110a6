import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { Registry } from "prom-client";
import { DockerClient, HttpTransport, type DockerTransport } from "../../src/docker/index.js";
import { CriError } from "../../src/errors/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { instrumentDockerTransport } from "../../src/metrics/docker-operations.js";
import { apiPath, startFakeEngine, type FakeEngine } from "../fakes/fake-engine.js";

/** The value of one sample of a metric with the given operation label, 0 when absent. */
async function sample(registry: Registry, name: string, operation: string): Promise<number> {
  const text = await registry.metrics();
  const line = new RegExp(`^${name}\\{operation_type="${operation}"\\} (\\S+)$`, "m").exec(text);
  return line?.[1] === undefined ? 0 : Number(line[1]);
}

describe("instrumentDockerTransport", () => {
  let engine: FakeEngine | undefined;
  let transport: DockerTransport | undefined;

  afterEach(async () => {
    await transport?.close();
    await engine?.close();
    transport = undefined;
    engine = undefined;
  });

  it("records every call under dockershim's metric names with the operation_type label", async () => {
    engine = await startFakeEngine([{ path: apiPath("/containers/gone/json"), status: 404, json: { message: "No such container: gone" } }]);
    const registry = new Registry();
    transport = instrumentDockerTransport(new HttpTransport({ endpoint: engine.endpoint, requestTimeoutMs: 5000 }), registry);
    const client = new DockerClient(transport, { endpoint: engine.endpoint, requestTimeoutMs: 5000, imagePullProgressDeadlineMs: 60_000, log: silentLogger() });

    // Negotiation goes through the decorator and reaches the inner transport.
    await client.negotiate();
    assert.equal(transport.apiVersion, "1.41");
    assert.equal(transport.endpoint, engine.endpoint);
    await client.info();
    await client.info();
    await assert.rejects(transport.request({ operation: "inspect_container", method: "GET", path: "/containers/gone/json" }));

    const text = await registry.metrics();
    for (const name of ["docker_operations_total", "docker_operations_duration_seconds", "docker_operations_errors_total", "docker_operations_timeout_total"]) {
      assert.match(text, new RegExp(`^# TYPE ${name} (counter|histogram)$`, "m"));
    }
    assert.match(text, /^docker_operations_total\{operation_type="info"\} 2$/m);
    assert.match(text, /^docker_operations_total\{operation_type="version"\} 1$/m);
    assert.match(text, /^docker_operations_duration_seconds_count\{operation_type="info"\} 2$/m);
    assert.match(text, /^docker_operations_errors_total\{operation_type="inspect_container"\} 1$/m);
    assert.equal(await sample(registry, "docker_operations_errors_total", "info"), 0);
    assert.equal(await sample(registry, "docker_operations_timeout_total", "inspect_container"), 0);
  });

  it("counts a timeout as both a timeout and an error", async () => {
    engine = await startFakeEngine([{ path: apiPath("/info"), delayMs: 2000, json: {} }]);
    const registry = new Registry();
    transport = instrumentDockerTransport(new HttpTransport({ endpoint: engine.endpoint, requestTimeoutMs: 100 }), registry);
    await assert.rejects(transport.request({ operation: "info", method: "GET", path: "/info" }), (err: unknown) => err instanceof CriError && err.kind === "DeadlineExceeded");
    assert.equal(await sample(registry, "docker_operations_timeout_total", "info"), 1);
    assert.equal(await sample(registry, "docker_operations_errors_total", "info"), 1);
    assert.equal(await sample(registry, "docker_operations_total", "info"), 1);
    // The histogram saw the ~100 ms the call took.
    const sum = await sample(registry, "docker_operations_duration_seconds_sum", "info");
    assert.ok(sum >= 0.09 && sum < 1.5, `duration sum ${sum}`);
  });

  it("records streams and hijacks until their head arrives", async () => {
    engine = await startFakeEngine([
      { path: apiPath("/events"), text: "{}\n" },
      { path: apiPath("/exec/e1/start"), upgrade: (s) => s.end("out") },
      { path: apiPath("/exec/e2/start"), status: 409, json: { message: "Container c is not running" } },
    ]);
    const registry = new Registry();
    transport = instrumentDockerTransport(new HttpTransport({ endpoint: engine.endpoint, requestTimeoutMs: 5000 }), registry);
    const ev = await transport.stream({ operation: "events", method: "GET", path: "/events" });
    ev.body.resume();
    const h = await transport.hijack({ operation: "start_exec", method: "POST", path: "/exec/e1/start" });
    h.socket.destroy();
    await assert.rejects(transport.hijack({ operation: "start_exec", method: "POST", path: "/exec/e2/start" }));
    assert.equal(await sample(registry, "docker_operations_total", "events"), 1);
    assert.equal(await sample(registry, "docker_operations_total", "start_exec"), 2);
    assert.equal(await sample(registry, "docker_operations_errors_total", "start_exec"), 1);
  });

  it("shares the metrics when a second transport is decorated on the same registry", async () => {
    engine = await startFakeEngine();
    const registry = new Registry();
    const first = instrumentDockerTransport(new HttpTransport({ endpoint: engine.endpoint, requestTimeoutMs: 5000 }), registry);
    transport = instrumentDockerTransport(new HttpTransport({ endpoint: engine.endpoint, requestTimeoutMs: 5000 }), registry);
    try {
      await first.request({ operation: "ping", method: "GET", path: "/_ping" });
      await transport.request({ operation: "ping", method: "GET", path: "/_ping" });
      assert.equal(await sample(registry, "docker_operations_total", "ping"), 2);
    } finally {
      await first.close();
    }
  });
});
