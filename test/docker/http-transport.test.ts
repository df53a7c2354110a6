import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { afterEach, describe, it } from "node:test";
import { DockerApiError, HttpTransport } from "../../src/docker/index.js";
import { CriError, type ErrorKind } from "../../src/errors/index.js";
import { apiPath, startFakeEngine, type FakeEngine, type FakeRoute } from "../fakes/fake-engine.js";

/** Asserts a CriError of `kind` whose message equals `message` (string) or matches it (RegExp). */
function criError(kind: ErrorKind, message: string | RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof CriError, `expected a CriError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  };
}

describe("HttpTransport", () => {
  let engine: FakeEngine | undefined;
  let transport: HttpTransport | undefined;

  afterEach(async () => {
    await transport?.close();
    await engine?.close();
    transport = undefined;
    engine = undefined;
  });

  async function start(routes: FakeRoute[], requestTimeoutMs = 5000): Promise<HttpTransport> {
    engine = await startFakeEngine(routes);
    transport = new HttpTransport({ endpoint: engine.endpoint, requestTimeoutMs });
    return transport;
  }

  describe("status mapping", () => {
    const routes: FakeRoute[] = [
      { path: apiPath("/containers/gone/json"), status: 404, json: { message: "No such container: gone" } },
      { path: apiPath("/containers/create"), status: 409, json: { message: 'Conflict. The container name "/k8s_POD_x" is already in use by container "3f2a". You have to remove (or rename) that container to be able to reuse that name.' } },
      { path: apiPath("/containers/stopped/kill"), status: 409, json: { message: "Container stopped is not running" } },
      { path: apiPath("/containers/json"), status: 400, json: { message: "invalid filter 'bogus'" } },
      { path: apiPath("/images/json"), status: 500, json: { message: "boom" } },
      { path: apiPath("/containers/running/start"), status: 304 },
      { path: apiPath("/plain-error"), status: 502, text: "Bad gateway from a proxy" },
      { path: apiPath("/broken-json"), status: 200, text: "{not json", headers: { "Content-Type": "application/json" } },
    ];

    it("maps 404 to NotFound keeping Docker's message and status", async () => {
      const t = await start(routes);
      await assert.rejects(
        t.request({ operation: "inspect_container", method: "GET", path: "/containers/gone/json" }),
        (err: unknown) => {
          criError("NotFound", 'Docker "inspect_container" failed: No such container: gone')(err);
          assert.ok(err instanceof CriError && err.cause instanceof DockerApiError);
          assert.equal(err.cause.statusCode, 404);
          return true;
        },
      );
    });

    it("maps a 409 name conflict to AlreadyExists and a state conflict to FailedPrecondition", async () => {
      const t = await start(routes);
      await assert.rejects(
        t.request({ operation: "create_container", method: "POST", path: "/containers/create", query: { name: "k8s_POD_x" }, body: { Image: "pause" } }),
        criError("AlreadyExists", /^Docker "create_container" failed: Conflict\. The container name "\/k8s_POD_x" is already in use/),
      );
      await assert.rejects(
        t.request({ operation: "kill_container", method: "POST", path: "/containers/stopped/kill" }),
        criError("FailedPrecondition", 'Docker "kill_container" failed: Container stopped is not running'),
      );
      // The JSON body and query reached the engine as Docker expects them.
      const create = engine?.requests.find((r) => r.pathname === "/containers/create");
      assert.ok(create !== undefined);
      assert.equal(create.query.get("name"), "k8s_POD_x");
      assert.equal(create.headers["content-type"], "application/json");
      assert.deepEqual(JSON.parse(create.body), { Image: "pause" });
    });

    it("maps 400 to InvalidArgument, 500 and unknown 5xx to Internal", async () => {
      const t = await start(routes);
      await assert.rejects(
        t.request({ operation: "list_containers", method: "GET", path: "/containers/json", query: { filters: { label: ["a=b"] } } }),
        criError("InvalidArgument", `Docker "list_containers" failed: invalid filter 'bogus'`),
      );
      assert.equal(engine?.requests.at(-1)?.query.get("filters"), '{"label":["a=b"]}');
      await assert.rejects(t.request({ operation: "list_images", method: "GET", path: "/images/json" }), criError("Internal", 'Docker "list_images" failed: boom'));
      await assert.rejects(
        t.request({ operation: "version", method: "GET", path: "/plain-error" }),
        criError("Internal", 'Docker "version" failed: Bad gateway from a proxy'),
      );
    });

    it("returns 304 as a status instead of throwing", async () => {
      const t = await start(routes);
      const res = await t.request({ operation: "start_container", method: "POST", path: "/containers/running/start" });
      assert.equal(res.status, 304);
      assert.equal(res.body, undefined);
    });

    it("parses JSON bodies, returns text bodies as text and rejects broken JSON as Internal", async () => {
      const t = await start(routes);
      const info = await t.request({ operation: "info", method: "GET", path: "/info" });
      assert.equal(info.status, 200);
      assert.ok(typeof info.body === "object" && info.body !== null && "CgroupDriver" in info.body);
      const ping = await t.request({ operation: "ping", method: "GET", path: "/_ping" });
      assert.equal(ping.body, "OK");
      assert.equal(ping.headers["api-version"], "1.41");
      await assert.rejects(t.request({ operation: "info", method: "GET", path: "/broken-json" }), criError("Internal", /^Docker "info" returned invalid JSON/));
    });
  });

  describe("timeouts and cancellation", () => {
    it("turns a call slower than the request timeout into DeadlineExceeded", async () => {
      const t = await start([{ path: apiPath("/info"), delayMs: 2000, json: {} }], 100);
      const started = Date.now();
      await assert.rejects(t.request({ operation: "info", method: "GET", path: "/info" }), criError("DeadlineExceeded", 'Docker "info" timed out after 100ms'));
      assert.ok(Date.now() - started < 1500, "the timeout must not wait for the slow answer");
    });

    it("lets a call override the default timeout, 0 meaning none", async () => {
      const t = await start([{ path: apiPath("/slow"), delayMs: 300, json: { ok: true } }], 50);
      const res = await t.request({ operation: "info", method: "GET", path: "/slow", timeoutMs: 0 });
      assert.deepEqual(res.body, { ok: true });
      await assert.rejects(
        t.request({ operation: "info", method: "GET", path: "/slow", timeoutMs: 120 }),
        criError("DeadlineExceeded", 'Docker "info" timed out after 120ms'),
      );
    });

    it("reports a caller abort as Canceled even with a long default timeout", async () => {
      const t = await start([{ path: apiPath("/info"), delayMs: 5000, json: {} }], 120_000);
      const ac = new AbortController();
      const pending = t.request({ operation: "info", method: "GET", path: "/info", signal: ac.signal });
      ac.abort();
      await assert.rejects(pending, criError("Canceled", 'Docker "info" was canceled'));
    });

    it("reports a caller abort as Canceled, also for a signal aborted before the call", async () => {
      const t = await start([{ path: apiPath("/info"), delayMs: 2000, json: {} }]);
      const ac = new AbortController();
      setTimeout(() => {
        ac.abort();
      }, 50);
      await assert.rejects(t.request({ operation: "info", method: "GET", path: "/info", signal: ac.signal }), criError("Canceled", 'Docker "info" was canceled'));
      await assert.rejects(t.request({ operation: "info", method: "GET", path: "/info", signal: AbortSignal.abort() }), criError("Canceled", 'Docker "info" was canceled'));
    });

    it("reports an expired caller deadline as DeadlineExceeded", async () => {
      const t = await start([{ path: apiPath("/info"), delayMs: 2000, json: {} }]);
      await assert.rejects(
        t.request({ operation: "info", method: "GET", path: "/info", signal: AbortSignal.timeout(50) }),
        criError("DeadlineExceeded", /^Docker "info" was canceled: the caller's deadline was exceeded/),
      );
    });

    it("leaves no listener on a long-lived caller signal once calls finish", async () => {
      const t = await start([{ path: apiPath("/events"), text: "{}\n" }]);
      const shutdown = new AbortController();
      for (let i = 0; i < 20; i++) await t.request({ operation: "ping", method: "GET", path: "/_ping", signal: shutdown.signal });
      await assert.rejects(t.request({ operation: "inspect_container", method: "GET", path: "/nope", signal: shutdown.signal }));
      const ev = await t.stream({ operation: "events", method: "GET", path: "/events", signal: shutdown.signal });
      assert.equal(getEventListeners(shutdown.signal, "abort").length, 1, "a streaming body is still governed by the signal");
      await text(ev.body);
      assert.equal(getEventListeners(shutdown.signal, "abort").length, 0);
    });

    it("fails a streaming body with Canceled when the caller aborts mid-stream", async () => {
      const t = await start([
        {
          path: apiPath("/events"),
          handler: (_req, res) => {
            res.writeHead(200, { "Content-Type": "application/json" });
            res.write('{"Type":"container"}\n');
          },
        },
      ]);
      const ac = new AbortController();
      const res = await t.stream({ operation: "events", method: "GET", path: "/events", signal: ac.signal, timeoutMs: 0 });
      const body = text(res.body);
      setTimeout(() => {
        ac.abort();
      }, 50);
      await assert.rejects(body, criError("Canceled", 'Docker "events" was canceled'));
    });
  });

  describe("unreachable daemon", () => {
    it("reports a missing socket as Unavailable naming the endpoint", async () => {
      const dir = await mkdtemp(join(tmpdir(), "docker-cri-nosock-"));
      const socketPath = join(dir, "docker.sock");
      const t = new HttpTransport({ endpoint: `unix://${socketPath}`, requestTimeoutMs: 5000 });
      try {
        await assert.rejects(
          t.request({ operation: "version", method: "GET", path: "/version" }),
          criError("Unavailable", `Cannot connect to the Docker daemon at unix://${socketPath}: the socket does not exist; is the docker daemon running? (ENOENT)`),
        );
        await assert.rejects(t.stream({ operation: "events", method: "GET", path: "/events" }), criError("Unavailable", /^Cannot connect to the Docker daemon at unix:\/\//));
        await assert.rejects(t.hijack({ operation: "start_exec", method: "POST", path: "/exec/x/start" }), criError("Unavailable", /\(ENOENT\)$/));
      } finally {
        await t.close();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("accepts a plain socket path as endpoint and canonicalizes it", async () => {
      engine = await startFakeEngine();
      transport = new HttpTransport({ endpoint: engine.socketPath, requestTimeoutMs: 5000 });
      assert.equal(transport.endpoint, engine.endpoint);
      const res = await transport.request({ operation: "ping", method: "GET", path: "/_ping" });
      assert.equal(res.body, "OK");
      // The fake engine removes its socket on close, so the next call cannot reach anything.
      await engine.close();
      assert.equal(existsSync(engine.socketPath), false);
      engine = undefined;
      await assert.rejects(transport.request({ operation: "ping", method: "GET", path: "/_ping" }), criError("Unavailable", /\((ENOENT|ECONNRESET)\)$/));
    });
  });

  describe("stream", () => {
    it("streams the body and maps error statuses after reading Docker's message", async () => {
      const t = await start([
        { path: apiPath("/images/create"), status: 404, json: { message: "pull access denied for nope, repository does not exist" } },
        { path: apiPath("/events"), text: '{"Type":"container","Action":"start"}\n{"Type":"container","Action":"die"}\n' },
      ]);
      const res = await t.stream({ operation: "events", method: "GET", path: "/events", query: { since: "1", until: "2" } });
      assert.equal(res.status, 200);
      const lines = (await text(res.body)).trim().split("\n");
      assert.equal(lines.length, 2);
      await assert.rejects(
        t.stream({ operation: "pull_image", method: "POST", path: "/images/create", query: { fromImage: "nope", tag: "latest" } }),
        criError("NotFound", 'Docker "pull_image" failed: pull access denied for nope, repository does not exist'),
      );
    });

    it("fails the body with DeadlineExceeded when the stream outlives its timeout", async () => {
      const t = await start([
        {
          path: apiPath("/events"),
          handler: (_req, res) => {
            // Send a head and one event, then go quiet like an idle event stream.
            res.writeHead(200, { "Content-Type": "application/json" });
            res.write('{"Type":"container"}\n');
          },
        },
      ]);
      const res = await t.stream({ operation: "events", method: "GET", path: "/events", timeoutMs: 200 });
      await assert.rejects(text(res.body), criError("DeadlineExceeded", 'Docker "events" timed out after 200ms'));
    });
  });

  describe("connections", () => {
    it("keeps one connection for sequential calls, drops it once idle past the keep-alive timeout, and never cuts an idle stream", async () => {
      engine = await startFakeEngine([
        {
          path: apiPath("/events"),
          handler: (_req, res) => {
            // One event, silence longer than the keep-alive timeout, then another and the end.
            res.writeHead(200, { "Content-Type": "application/json" });
            res.write('{"Action":"start"}\n');
            setTimeout(() => res.end('{"Action":"die"}\n'), 600);
          },
        },
      ]);
      transport = new HttpTransport({ endpoint: engine.endpoint, requestTimeoutMs: 5000, keepAliveTimeoutMs: 200 });
      for (let i = 0; i < 10; i++) await transport.request({ operation: "ping", method: "GET", path: "/_ping" });
      assert.equal(engine.connectionCount, 1, "sequential calls share one kept-alive connection");
      const ev = await transport.stream({ operation: "events", method: "GET", path: "/events", timeoutMs: 0 });
      const lines = (await text(ev.body)).trim().split("\n");
      assert.deepEqual(lines, ['{"Action":"start"}', '{"Action":"die"}'], "a stream quiet for 3× the keep-alive timeout runs to its end");
      const before = engine.connectionCount;
      await new Promise((r) => setTimeout(r, 400));
      await transport.request({ operation: "ping", method: "GET", path: "/_ping" });
      assert.equal(engine.connectionCount, before + 1, "a connection idle past the keep-alive timeout is not reused");
    });

    it("bounds concurrent connections and queues the calls beyond", async () => {
      const t = await start([{ path: apiPath("/info"), delayMs: 50, json: {} }]);
      const answers = await Promise.all(Array.from({ length: 40 }, () => t.request({ operation: "info", method: "GET", path: "/info" })));
      assert.equal(answers.length, 40);
      assert.ok(engine !== undefined && engine.connectionCount <= 16, `40 concurrent calls opened ${engine?.connectionCount} connections`);
    });

    it("reports a connection lost in the middle of a body as Unavailable", async () => {
      const t = await start([
        {
          path: apiPath("/containers/json"),
          handler: (_req, res) => {
            res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "100" });
            res.write('[{"Id":');
            setTimeout(() => res.socket?.destroy(), 20);
          },
        },
      ]);
      await assert.rejects(
        t.request({ operation: "list_containers", method: "GET", path: "/containers/json" }),
        criError("Unavailable", /^Cannot connect to the Docker daemon at unix:\/\/.*: connection reset by the daemon \(ECONNRESET\)$/),
      );
      // The next call gets a fresh connection and an answer.
      const ping = await t.request({ operation: "ping", method: "GET", path: "/_ping" });
      assert.equal(ping.body, "OK");
    });
  });

  describe("hijack", () => {
    it("returns the raw socket after 101 and supports half-close of stdin", async () => {
      const t = await start([
        {
          method: "POST",
          path: /^\/v1\.41\/exec\/[^/]+\/start$/,
          upgrade: (socket) => {
            // Echo stdin back until the client half-closes, then end: what an exec of `cat` does.
            const chunks: Buffer[] = [];
            socket.on("data", (c: Buffer) => chunks.push(c));
            socket.on("end", () => {
              socket.end(Buffer.concat([Buffer.from("echo:"), ...chunks]));
            });
          },
        },
      ]);
      t.useApiVersion("1.41");
      const { socket, headers, head } = await t.hijack({ operation: "start_exec", method: "POST", path: "/exec/abc/start", body: { Detach: false, Tty: true } });
      assert.equal(headers.upgrade, "tcp");
      assert.equal(headers["content-type"], "application/vnd.docker.raw-stream");
      const output = text(socket);
      socket.end("hello");
      assert.equal(head.toString() + (await output), "echo:hello");
      const seen = engine?.requests.at(-1);
      assert.ok(seen !== undefined);
      assert.equal(seen.url, "/v1.41/exec/abc/start");
      assert.equal(seen.headers.connection, "Upgrade");
      assert.equal(seen.headers.upgrade, "tcp");
      assert.deepEqual(JSON.parse(seen.body), { Detach: false, Tty: true });
      assert.equal(seen.headers["content-length"], String(seen.body.length));
      assert.equal(seen.headers["transfer-encoding"], undefined);
    });

    it("turns a non-101 answer into a typed error", async () => {
      const t = await start([
        { path: apiPath("/exec/paused/start"), status: 409, json: { message: "Container abc is paused, unpause the container before exec" } },
        { path: apiPath("/exec/gone/start"), status: 404, json: { message: "No such exec instance: gone" } },
      ]);
      await assert.rejects(
        t.hijack({ operation: "start_exec", method: "POST", path: "/exec/paused/start", body: {} }),
        criError("FailedPrecondition", 'Docker "start_exec" failed: Container abc is paused, unpause the container before exec'),
      );
      await assert.rejects(
        t.hijack({ operation: "start_exec", method: "POST", path: "/exec/gone/start", body: {} }),
        criError("NotFound", 'Docker "start_exec" failed: No such exec instance: gone'),
      );
    });

    it("times out waiting for the upgrade", async () => {
      const t = await start([{ path: apiPath("/exec/slow/start"), delayMs: 2000, upgrade: (s) => s.end() }], 100);
      await assert.rejects(t.hijack({ operation: "start_exec", method: "POST", path: "/exec/slow/start" }), criError("DeadlineExceeded", 'Docker "start_exec" timed out after 100ms'));
    });
  });
});
