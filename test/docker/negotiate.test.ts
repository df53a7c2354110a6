import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { DockerClient, MIN_API_VERSION, OUR_MAX_API_VERSION, HttpTransport, compareApiVersions, negotiateApiVersion } from "../../src/docker/index.js";
import { CriError } from "../../src/errors/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { apiPath, startFakeEngine, type FakeEngine } from "../fakes/fake-engine.js";

describe("negotiateApiVersion", () => {
  let engine: FakeEngine | undefined;
  let transport: HttpTransport | undefined;

  afterEach(async () => {
    await transport?.close();
    await engine?.close();
    transport = undefined;
    engine = undefined;
  });

  async function against(apiVersion: string, minApiVersion?: string): Promise<{ engine: FakeEngine; transport: HttpTransport }> {
    engine = await startFakeEngine([{ method: "GET", path: apiPath("/containers/json"), json: [] }], { apiVersion, ...(minApiVersion === undefined ? {} : { minApiVersion }) });
    transport = new HttpTransport({ endpoint: engine.endpoint, requestTimeoutMs: 5000 });
    return { engine, transport };
  }

  it("exports the version bounds the shim is written against", () => {
    assert.equal(OUR_MAX_API_VERSION, "1.51");
    assert.equal(MIN_API_VERSION, "1.26");
  });

  it("uses the daemon's version when it is older than ours and asks unversioned", async () => {
    const { engine, transport } = await against("1.41");
    const v = await negotiateApiVersion(transport);
    assert.equal(v.apiVersion, "1.41");
    assert.equal(v.daemonApiVersion, "1.41");
    assert.equal(v.version, "20.10.24-fake");
    assert.equal(transport.apiVersion, "1.41");
    assert.equal(engine.requests[0]?.url, "/version");
  });

  it("pins our newest version against a newer daemon and prefixes every later path with it", async () => {
    const { engine, transport } = await against("1.55", "1.44");
    const client = new DockerClient(transport, { endpoint: engine.endpoint, requestTimeoutMs: 5000, imagePullProgressDeadlineMs: 60_000, log: silentLogger() });
    const v = await client.negotiate();
    assert.equal(v.apiVersion, "1.51");
    assert.equal(v.daemonApiVersion, "1.55");
    await client.ping();
    await client.info();
    await client.version();
    await transport.request({ operation: "list_containers", method: "GET", path: "/containers/json", query: { all: true } });
    assert.deepEqual(
      engine.requests.map((r) => r.url),
      ["/version", "/v1.51/_ping", "/v1.51/info", "/v1.51/version", "/v1.51/containers/json?all=1"],
    );
  });

  it("refuses a daemon older than 1.26 with the documented message", async () => {
    const { engine, transport } = await against("1.24");
    await assert.rejects(negotiateApiVersion(transport), (err: unknown) => {
      assert.ok(err instanceof CriError);
      assert.equal(err.kind, "FailedPrecondition");
      assert.ok(err.message.startsWith("docker API version is older than 1.26"), err.message);
      assert.equal(err.message, `docker API version is older than 1.26: the daemon at ${engine.endpoint} speaks 1.24`);
      return true;
    });
    // A failed negotiation must not leave a version behind.
    assert.equal(transport.apiVersion, undefined);
  });

  it("compares versions numerically, so 1.9 is older than 1.26", async () => {
    assert.ok(compareApiVersions("1.9", "1.26") < 0);
    assert.ok(compareApiVersions("1.100", "1.47") > 0);
    assert.equal(compareApiVersions("1.41", "1.41.0"), 0);
    const { transport } = await against("1.9");
    await assert.rejects(negotiateApiVersion(transport), (err: unknown) => err instanceof CriError && err.kind === "FailedPrecondition");
  });

  it("speaks 1.51 to a Docker 29 engine (API 1.52, minimum 1.44)", async () => {
    const { engine, transport } = await against("1.52", "1.44");
    const v = await negotiateApiVersion(transport);
    assert.equal(v.apiVersion, "1.51");
    assert.equal(v.daemonApiVersion, "1.52");
    assert.equal(v.minApiVersion, "1.44");
    await transport.request({ operation: "list_containers", method: "GET", path: "/containers/json" });
    assert.equal(engine.requests.at(-1)?.url, "/v1.51/containers/json");
  });

  it("refuses, naming both versions, a daemon whose minimum is above our newest version", async () => {
    const { engine, transport } = await against("1.60", "1.52");
    await assert.rejects(negotiateApiVersion(transport), (err: unknown) => {
      assert.ok(err instanceof CriError);
      assert.equal(err.kind, "FailedPrecondition");
      assert.equal(
        err.message,
        `docker API version 1.51 is not accepted: the daemon at ${engine.endpoint} (Docker 20.10.24-fake) requires at least 1.52, and docker-cri speaks at most 1.51`,
      );
      return true;
    });
    assert.equal(transport.apiVersion, undefined);
    // Nothing but the unversioned /version was asked.
    assert.deepEqual(engine.requests.map((r) => r.url), ["/version"]);
  });
});
