/**
 * The pull stream of ImagesApi against a fake engine, for what a real dockerd will not do on demand:
 * an error object after progress, an error with a registry status code, a stream split mid-line,
 * and garbage in the stream. (The real daemon's pulls are covered by test/e2e/images-pull.test.ts.)
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { describe, it } from "node:test";
import { DockerClient, HttpTransport, type PullProgress } from "../../src/docker/index.js";
import { hasKind } from "../../src/errors/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { apiPath, startFakeEngine, type FakeRoute } from "../fakes/fake-engine.js";

async function withEngine(route: FakeRoute, fn: (docker: DockerClient) => Promise<void>): Promise<void> {
  const engine = await startFakeEngine([route]);
  const transport = new HttpTransport({ endpoint: engine.endpoint, requestTimeoutMs: 10_000 });
  const docker = new DockerClient(transport, { endpoint: engine.endpoint, requestTimeoutMs: 10_000, imagePullProgressDeadlineMs: 60_000, log: silentLogger() });
  try {
    await fn(docker);
  } finally {
    await docker.close();
    await engine.close();
  }
}

async function drain(messages: AsyncIterable<PullProgress>): Promise<PullProgress[]> {
  const out: PullProgress[] = [];
  for await (const m of messages) out.push(m);
  return out;
}

const pullRoute = (write: (res: ServerResponse) => Promise<void>): FakeRoute => ({
  method: "POST",
  path: apiPath("/images/create"),
  handler: async (_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    await write(res);
    res.end();
  },
});

describe("ImagesApi.pull", () => {
  it("sends fromImage, tag and X-Registry-Auth, and yields progress split across chunks", async () => {
    const engine = await startFakeEngine([
      pullRoute(async (res) => {
        res.write('{"status":"Pulling from x","id":"v1"}\r\n{"status":"Downl');
        await new Promise((r) => setTimeout(r, 20));
        res.write('oading","progressDetail":{"current":5,"total":10},"progress":"[=> ]","id":"abc"}\n\n');
        res.write('{"status":"Status: Downloaded newer image for r/x:v1"}');
      }),
    ]);
    const transport = new HttpTransport({ endpoint: engine.endpoint, requestTimeoutMs: 10_000 });
    const docker = new DockerClient(transport, { endpoint: engine.endpoint, requestTimeoutMs: 10_000, imagePullProgressDeadlineMs: 60_000, log: silentLogger() });
    try {
      const messages = await drain(await docker.images.pull({ fromImage: "r/x", tag: "v1", registryAuth: "e30=" }, new AbortController().signal));
      assert.deepEqual(messages, [
        { id: "v1", status: "Pulling from x", progress: "", current: undefined, total: undefined },
        { id: "abc", status: "Downloading", progress: "[=> ]", current: 5, total: 10 },
        { id: "", status: "Status: Downloaded newer image for r/x:v1", progress: "", current: undefined, total: undefined },
      ]);
      const req = engine.requests.find((r) => r.pathname.endsWith("/images/create"));
      assert.equal(req?.query.get("fromImage"), "r/x");
      assert.equal(req.query.get("tag"), "v1");
      assert.equal(req.headers["x-registry-auth"], "e30=");
    } finally {
      await docker.close();
      await engine.close();
    }
  });

  it("fails on the first error object, with Docker's message, after the progress before it", async () => {
    await withEngine(
      pullRoute(async (res) => {
        res.write('{"status":"Pulling fs layer","id":"abc"}\n');
        res.write('{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}\n');
        res.write('{"status":"never read"}\n');
        await Promise.resolve();
      }),
      async (docker) => {
        const seen: string[] = [];
        await assert.rejects(
          (async () => {
            for await (const m of await docker.images.pull({ fromImage: "r/x", tag: "v1", registryAuth: undefined }, new AbortController().signal)) seen.push(m.status);
          })(),
          (err: unknown) => hasKind(err, "Internal") && err.message.includes("unexpected EOF"),
        );
        assert.deepEqual(seen, ["Pulling fs layer"]);
      },
    );
  });

  it("keeps the registry's status code of an error object as the kind", async () => {
    await withEngine(
      pullRoute(async (res) => {
        res.write('{"errorDetail":{"code":404,"message":"manifest unknown"},"error":"manifest unknown"}\n');
        await Promise.resolve();
      }),
      async (docker) => {
        await assert.rejects(drain(await docker.images.pull({ fromImage: "r/x", tag: "v1", registryAuth: undefined }, new AbortController().signal)), (err: unknown) => hasKind(err, "NotFound"));
      },
    );
  });

  it("maps an answer before the stream (Docker's 404) to NotFound at once", async () => {
    await withEngine({ method: "POST", path: apiPath("/images/create"), status: 404, json: { message: "manifest for r/x:nope not found" } }, async (docker) => {
      await assert.rejects(docker.images.pull({ fromImage: "r/x", tag: "nope", registryAuth: undefined }, new AbortController().signal), (err: unknown) => hasKind(err, "NotFound") && err.message.includes("manifest for r/x:nope not found"));
    });
  });

  it("treats garbage in the stream as an Internal error naming the operation", async () => {
    await withEngine(
      pullRoute(async (res) => {
        res.write("<html>proxy error</html>\n");
        await Promise.resolve();
      }),
      async (docker) => {
        await assert.rejects(drain(await docker.images.pull({ fromImage: "r/x", tag: "v1", registryAuth: undefined }, new AbortController().signal)), (err: unknown) => hasKind(err, "Internal") && err.message.includes('"pull_image" sent invalid JSON'));
      },
    );
  });

  it("stops the pull in Docker when the signal aborts mid-stream", async () => {
    let closed = false;
    await withEngine(
      {
        method: "POST",
        path: apiPath("/images/create"),
        handler: (req, res) => {
          res.writeHead(200, { "Content-Type": "application/json" });
          res.write('{"status":"Pulling fs layer","id":"abc"}\n');
          req.socket.on("close", () => { closed = true; });
          // Never ends: a stalled registry.
        },
      },
      async (docker) => {
        const ac = new AbortController();
        const messages = await docker.images.pull({ fromImage: "r/x", tag: "v1", registryAuth: undefined }, ac.signal);
        setTimeout(() => { ac.abort(new Error("stop")); }, 50);
        await assert.rejects(drain(messages));
        await new Promise((r) => setTimeout(r, 50));
        assert.ok(closed, "the connection to Docker was closed");
      },
    );
  });
});
