/**
 * Every Docker call of ours that sends an array or a JSON query parameter, through the real
 * transport to a real HTTP server on a unix socket, asserting the raw query string that arrives.
 * Docker reads an array-valued parameter from the repeated key (`type=image&type=container`) and
 * only the parameters it documents as JSON (`filters`) as JSON; API 1.42+ refuses a JSON array for
 * `/system/df`'s `type` with 400 "unknown object type", which broke ImageFsInfo on Docker ≥ 23.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { DockerClient, HttpTransport } from "../../src/docker/index.js";
import { buildRequestPath } from "../../src/docker/request-path.js";
import { hasKind } from "../../src/errors/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { followedActions, listWritableLayerSizes, openContainerEvents } from "../../src/state-cache/index.js";
import { apiPath, startFakeEngine, type FakeEngine, type RecordedRequest } from "../fakes/fake-engine.js";

describe("Docker query encoding", () => {
  let engine: FakeEngine | undefined;
  let docker: DockerClient | undefined;

  afterEach(async () => {
    await docker?.close();
    await engine?.close();
    docker = undefined;
    engine = undefined;
  });

  async function start(): Promise<{ engine: FakeEngine; docker: DockerClient }> {
    engine = await startFakeEngine(
      [
        { method: "GET", path: apiPath("/system/df"), json: { LayersSize: 10, Images: [], Containers: [{ Id: "c1", SizeRw: 5 }], Volumes: [], BuildCache: [] } },
        { method: "GET", path: apiPath("/containers/json"), json: [{ Id: "c1", SizeRw: 7 }] },
      ],
      { apiVersion: "1.51", minApiVersion: "1.24", version: "28.5.2-fake" },
    );
    const transport = new HttpTransport({ endpoint: engine.endpoint, requestTimeoutMs: 5000 });
    docker = new DockerClient(transport, { endpoint: engine.endpoint, requestTimeoutMs: 5000, imagePullProgressDeadlineMs: 60_000, log: silentLogger() });
    await docker.negotiate();
    return { engine, docker };
  }

  /** The one request to `pathname` (version prefix included). */
  function only(e: FakeEngine, pathname: string): RecordedRequest {
    const seen = e.requests.filter((r) => r.pathname === pathname);
    assert.equal(seen.length, 1, `requests to ${pathname}: ${seen.map((r) => r.url).join(", ")}`);
    const [req] = seen;
    assert.ok(req !== undefined);
    return req;
  }

  it("GET /system/df sends type as a repeated key", async () => {
    const { engine, docker } = await start();
    const usage = await docker.images.diskUsage(AbortSignal.timeout(5000));
    assert.deepEqual(usage, { layersSize: 10, containers: [{ id: "c1", sizeRw: 5 }] });
    const req = only(engine, "/v1.51/system/df");
    assert.equal(req.url, "/v1.51/system/df?type=image&type=container");
    assert.deepEqual(req.query.getAll("type"), ["image", "container"]);
  });

  it("GET /images/json sends the reference filter as JSON", async () => {
    const { engine, docker } = await start();
    await docker.images.list({ reference: ["busybox", "127.0.0.1:5000/x:v1"] }, AbortSignal.timeout(5000));
    const req = only(engine, "/v1.51/images/json");
    assert.equal(req.url, "/v1.51/images/json?filters=%7B%22reference%22%3A%5B%22busybox%22%2C%22127.0.0.1%3A5000%2Fx%3Av1%22%5D%7D");
    assert.deepEqual(JSON.parse(req.query.get("filters") ?? ""), { reference: ["busybox", "127.0.0.1:5000/x:v1"] });
  });

  it("GET /containers/json for an image's users sends all=1 and the ancestor filter as JSON", async () => {
    const { engine, docker } = await start();
    assert.deepEqual(await docker.images.containersUsing("sha256:abc", AbortSignal.timeout(5000)), ["c1"]);
    const req = only(engine, "/v1.51/containers/json");
    assert.equal(req.url, "/v1.51/containers/json?all=1&filters=%7B%22ancestor%22%3A%5B%22sha256%3Aabc%22%5D%7D");
  });

  it("GET /containers/json sends label, id, name and status filters as one JSON object", async () => {
    const { engine, docker } = await start();
    await docker.containers.list(
      { all: true, filters: { label: ["io.kubernetes.docker.type=container", "io.kubernetes.sandbox.id=s 1"], id: ["c1"], name: [], status: ["running", "exited"] } },
      AbortSignal.timeout(5000),
    );
    const req = only(engine, "/v1.51/containers/json");
    // The empty `name` list is left out of the filters; a space is form-encoded as "+".
    assert.equal(
      req.url,
      "/v1.51/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io.kubernetes.docker.type%3Dcontainer%22%2C%22io.kubernetes.sandbox.id%3Ds+1%22%5D%2C%22id%22%3A%5B%22c1%22%5D%2C%22status%22%3A%5B%22running%22%2C%22exited%22%5D%7D",
    );
    assert.deepEqual(JSON.parse(req.query.get("filters") ?? ""), {
      label: ["io.kubernetes.docker.type=container", "io.kubernetes.sandbox.id=s 1"],
      id: ["c1"],
      status: ["running", "exited"],
    });
  });

  it("GET /containers/json with sizes sends all=1, size=1 and the label filter as JSON", async () => {
    const { engine, docker } = await start();
    const sizes = await listWritableLayerSizes(docker.transport, "io.kubernetes.docker.type", AbortSignal.timeout(5000), 5000);
    assert.deepEqual([...sizes], [["c1", 7n]]);
    const req = only(engine, "/v1.51/containers/json");
    assert.equal(req.url, "/v1.51/containers/json?all=1&size=1&filters=%7B%22label%22%3A%5B%22io.kubernetes.docker.type%22%5D%7D");
  });

  it("GET /events sends type, label and event filters as one JSON object", async () => {
    const { engine, docker } = await start();
    const stop = new AbortController();
    const events = await openContainerEvents(docker.transport, "io.kubernetes.docker.type", stop.signal);
    stop.abort();
    // Aborting ends the stream with Canceled and releases the connection.
    await assert.rejects(
      (async () => {
        for await (const ev of events) assert.fail(`unexpected event ${JSON.stringify(ev)}`);
      })(),
      (err: unknown) => hasKind(err, "Canceled"),
    );
    const req = only(engine, "/v1.51/events");
    const events_ = followedActions.map((a) => `%22${a}%22`).join("%2C");
    assert.equal(req.url, `/v1.51/events?filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22label%22%3A%5B%22io.kubernetes.docker.type%22%5D%2C%22event%22%3A%5B${events_}%5D%7D`);
    assert.deepEqual(JSON.parse(req.query.get("filters") ?? ""), { type: ["container"], label: ["io.kubernetes.docker.type"], event: [...followedActions] });
  });
});

describe("buildRequestPath", () => {
  it("repeats the key for each array element, sends nothing for an empty array, JSON for an object", () => {
    assert.equal(buildRequestPath("/system/df", { type: ["image", "container"] }, "1.51"), "/v1.51/system/df?type=image&type=container");
    assert.equal(buildRequestPath("/system/df", { type: [] }, "1.51"), "/v1.51/system/df");
    assert.equal(buildRequestPath("/x", { a: ["1 2", "&"], b: undefined, c: false, d: 3 }, undefined), "/x?a=1+2&a=%26&c=0&d=3");
    assert.equal(buildRequestPath("/x", { filters: { label: [] } }, undefined), "/x?filters=%7B%22label%22%3A%5B%5D%7D");
  });
});
