import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseContainerInspect, type ContainerInspect } from "../../docker/index.js";
import { CriError } from "../../errors/index.js";
import { silentLogger } from "../../logger/index.js";
import { CheckpointStore } from "../../store/index.js";
import { createSandboxContainer } from "./create-sandbox-container.js";
import type { SandboxContainers } from "./sandbox-deps.js";

const name = "k8s_POD_p_n_u_0";
const staleId = "5".repeat(64);

/**
 * The conflict paths need Docker to answer in ways a real daemon only does by accident (a name held
 * by a container it then cannot remove or find); the end-to-end tests cover the ordinary conflict.
 */
function fakeContainers(opts: { holder: ContainerInspect | undefined; removeFails: boolean }): { api: SandboxContainers; created: string[]; removed: string[] } {
  const created: string[] = [];
  const removed: string[] = [];
  const api: SandboxContainers = {
    create: (n) => {
      if (n === name && created.length === 0 && !removed.includes(staleId)) {
        created.push(`conflict:${n}`);
        return Promise.reject(new CriError("AlreadyExists", `Docker "create_container" failed: Conflict. The container name "/${n}" is already in use`));
      }
      created.push(n);
      return Promise.resolve({ id: "c".repeat(64), warnings: [] });
    },
    inspect: () => (opts.holder === undefined ? Promise.reject(new CriError("NotFound", "No such container")) : Promise.resolve(opts.holder)),
    remove: (id) => {
      if (opts.removeFails) return Promise.reject(new CriError("Internal", "driver failed to remove root filesystem"));
      removed.push(id);
      return Promise.resolve();
    },
    start: () => Promise.reject(new Error("unused")),
    stop: () => Promise.reject(new Error("unused")),
    list: () => Promise.reject(new Error("unused")),
  };
  return { api, created, removed };
}

function holder(running: boolean): ContainerInspect {
  return parseContainerInspect({
    Id: staleId,
    Name: `/${name}`,
    State: { Status: running ? "running" : "created", Running: running },
    Config: { Labels: { "io.kubernetes.docker.type": "podsandbox" } },
  });
}

describe("createSandboxContainer name-conflict recovery", () => {
  let dir: string;
  let checkpoints: CheckpointStore;
  const signal = new AbortController().signal;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "docker-cri-conflict-"));
    checkpoints = new CheckpointStore(dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("removes a stale holder (and its checkpoint) and creates under the same name", async () => {
    await checkpoints.write(staleId, { name: "p", namespace: "n", uid: "u", attempt: 0, hostNetwork: false, portMappings: [], labels: {}, createdAt: 0n, networkPlugin: "", podIps: [], runtimeHandler: "" });
    const f = fakeContainers({ holder: holder(false), removeFails: false });
    const r = await createSandboxContainer({ containers: f.api, checkpoints }, name, {}, signal, silentLogger());
    assert.deepEqual(r, { kind: "created", id: "c".repeat(64), dockerName: name });
    assert.deepEqual(f.removed, [staleId]);
    assert.deepEqual(await checkpoints.list(), []);
  });

  it("creates under a randomized name when Docker cannot remove the holder", async () => {
    const f = fakeContainers({ holder: holder(false), removeFails: true });
    const r = await createSandboxContainer({ containers: f.api, checkpoints }, name, {}, signal, silentLogger());
    assert.ok(r.kind === "created");
    assert.match(r.dockerName, new RegExp(`^${name}_[0-9a-f]{8}$`));
  });

  it("creates under a randomized name when Docker cannot find the holder of the name", async () => {
    const f = fakeContainers({ holder: undefined, removeFails: false });
    const r = await createSandboxContainer({ containers: f.api, checkpoints }, name, {}, signal, silentLogger());
    assert.ok(r.kind === "created");
    assert.match(r.dockerName, /_[0-9a-f]{8}$/);
  });

  it("reuses a running sandbox that holds the name", async () => {
    const f = fakeContainers({ holder: holder(true), removeFails: false });
    const r = await createSandboxContainer({ containers: f.api, checkpoints }, name, {}, signal, silentLogger());
    assert.equal(r.kind, "existing");
    assert.equal(r.id, staleId);
    assert.deepEqual(f.removed, []);
  });
});
