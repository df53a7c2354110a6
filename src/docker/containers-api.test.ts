/**
 * The container endpoints against the real dockerd, on a busybox container of this test's own
 * (unique name and label, removed at the end).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { hasKind } from "../errors/index.js";
import { silentLogger } from "../logger/index.js";
import { BUSYBOX_IMAGE, ensureTestImages } from "../../test/kit/images.js";
import { DockerClient } from "./docker-client.js";
import { negotiateApiVersion } from "./negotiate.js";
import { HttpTransport } from "./http-transport.js";

const runId = randomBytes(4).toString("hex");
const label = `io.docker-cri.test.containers-api=${runId}`;

describe("ContainersApi against the real dockerd", () => {
  let docker: DockerClient;
  let id = "";
  const name = `docker-cri-containers-api-${runId}`;

  before(async () => {
    await ensureTestImages();
    const transport = new HttpTransport({ endpoint: "unix:///var/run/docker.sock", requestTimeoutMs: 60_000 });
    await negotiateApiVersion(transport);
    docker = new DockerClient(transport, { endpoint: transport.endpoint, requestTimeoutMs: 60_000, imagePullProgressDeadlineMs: 60_000, log: silentLogger() });
  });
  after(async () => {
    for (const c of await docker.containers.list({ all: true, filters: { label: [label] } })) {
      await docker.containers.remove(c.id, { force: true, removeVolumes: true });
    }
    await docker.close();
  });

  it("creates a container and refuses its name a second time with AlreadyExists", async () => {
    const body = { Image: BUSYBOX_IMAGE, Cmd: ["sleep", "300"], Labels: { "io.docker-cri.test.containers-api": runId, extra: "x" }, HostConfig: { NetworkMode: "none" } };
    const created = await docker.containers.create(name, body);
    id = created.id;
    assert.match(id, /^[0-9a-f]{64}$/);
    await assert.rejects(docker.containers.create(name, body), (err) => hasKind(err, "AlreadyExists"));
  });

  it("inspects by id, prefix and name", async () => {
    for (const key of [id, id.slice(0, 12), name]) {
      const c = await docker.containers.inspect(key);
      assert.equal(c.id, id);
      assert.equal(c.name, `/${name}`);
      assert.equal(c.state.status, "created");
      assert.equal(c.state.running, false);
      assert.equal(c.config.labels.extra, "x");
      assert.equal(c.config.image, BUSYBOX_IMAGE);
      assert.equal(c.hostConfig.networkMode, "none");
      assert.match(c.created, /^\d{4}-\d\d-\d\dT/);
    }
    await assert.rejects(docker.containers.inspect(`nope-${runId}`), (err) => hasKind(err, "NotFound"));
    await assert.rejects(docker.containers.inspect("../../images/json"), (err) => hasKind(err, "NotFound"), "ids are path-encoded");
  });

  it("starts (idempotently), lists with filters, and reports the running state", async () => {
    assert.equal(await docker.containers.start(id), true);
    assert.equal(await docker.containers.start(id), false, "304: already started");
    const c = await docker.containers.inspect(id);
    assert.equal(c.state.running, true);
    assert.ok(c.state.pid > 0);
    const running = await docker.containers.list({ filters: { label: [label] } });
    assert.deepEqual(running.map((r) => r.id), [id]);
    const first = running[0];
    assert.ok(first !== undefined);
    assert.equal(first.state, "running");
    assert.deepEqual(first.names, [`/${name}`]);
    assert.ok(first.created > 1_600_000_000);
    assert.deepEqual(await docker.containers.list({ filters: { label: [label], status: ["exited"] } }), []);
  });

  it("stops with a timeout (idempotently), kill refuses a stopped container, remove then is NotFound", async () => {
    assert.equal(await docker.containers.stop(id, 0), true);
    assert.equal(await docker.containers.stop(id, 0), false, "304: not running");
    assert.equal((await docker.containers.inspect(id)).state.status, "exited");
    assert.deepEqual((await docker.containers.list({ filters: { label: [label] } })).length, 0, "not running: only with all");
    assert.equal((await docker.containers.list({ all: true, filters: { label: [label] } })).length, 1);
    await assert.rejects(docker.containers.kill(id), (err) => hasKind(err, "FailedPrecondition"));
    await docker.containers.remove(id, { force: true, removeVolumes: true });
    await assert.rejects(docker.containers.remove(id, { force: true }), (err) => hasKind(err, "NotFound"));
  });
});
