import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { CgroupLayout } from "./cgroup-layout.js";
import { SystemdUnitCgroup, type CommandRunner } from "./systemd-unit-cgroup.js";

const manager = ["call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager"];

describe("SystemdUnitCgroup", () => {
  let root: string;
  let calls: string[][];
  const run: CommandRunner = (file, args) => {
    calls.push([file, ...args]);
    return Promise.resolve("");
  };
  let v2: CgroupLayout;
  let v1: CgroupLayout;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "docker-cri-systemd-cgroup-"));
    await mkdir(join(root, "unified"), { recursive: true });
    await mkdir(join(root, "systemd", "system.slice", "docker.service"), { recursive: true });
    await mkdir(join(root, "proc", "7"), { recursive: true });
    v2 = { version: 2, unified: { mountPoint: join(root, "unified"), root: "/", controllers: [] } };
    v1 = { version: 1, hierarchies: [{ mountPoint: join(root, "memory"), root: "/", controllers: ["memory"] }], systemd: { mountPoint: join(root, "systemd"), root: "/", controllers: [] } };
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("creates a transient scope around the runtime's pids, in the named slice, with MemoryMax on v2", async () => {
    calls = [];
    const cg = new SystemdUnitCgroup("/runtime.slice/docker-runtime.scope", v2, { procRoot: join(root, "proc"), busctl: "busctl", run });
    await cg.ensure(1048576000);
    assert.deepEqual(calls, [], "a scope cannot exist before it has processes");
    await cg.attach([7, 8], 1048576000);
    assert.deepEqual(calls, [[
      "busctl", ...manager, "StartTransientUnit", "ssa(sv)a(sa(sv))", "docker-runtime.scope", "fail", "5",
      "Description", "s", "Container runtime (dockerd, containerd) kept here by docker-cri",
      "Slice", "s", "runtime.slice",
      "PIDs", "au", "2", "7", "8",
      "MemoryAccounting", "b", "true",
      "MemoryMax", "t", "1048576000",
      "0",
    ]]);

    // Once systemd runs it (its cgroup exists), the limit is set on it and strays are attached.
    await mkdir(join(root, "unified", "runtime.slice", "docker-runtime.scope"), { recursive: true });
    calls = [];
    await cg.ensure(1048576000);
    await cg.attach([9], 1048576000);
    assert.deepEqual(calls, [
      ["busctl", ...manager, "SetUnitProperties", "sba(sv)", "docker-runtime.scope", "true", "2", "MemoryAccounting", "b", "true", "MemoryMax", "t", "1048576000"],
      ["busctl", ...manager, "AttachProcessesToUnit", "ssau", "docker-runtime.scope", "", "1", "9"],
    ]);
    await writeFile(join(root, "proc", "7", "cgroup"), "0::/runtime.slice/docker-runtime.scope\n");
    assert.equal(await cg.contains(7), true);
  });

  it("uses docker.service as it is on v1 (MemoryLimit), reading membership from name=systemd", async () => {
    calls = [];
    const cg = new SystemdUnitCgroup("/system.slice/docker.service", v1, { procRoot: join(root, "proc"), busctl: "/usr/bin/busctl", run });
    await cg.ensure(157286400);
    assert.deepEqual(calls, [["/usr/bin/busctl", ...manager, "SetUnitProperties", "sba(sv)", "docker.service", "true", "2", "MemoryAccounting", "b", "true", "MemoryLimit", "t", "157286400"]]);
    await writeFile(join(root, "proc", "7", "cgroup"), "4:memory:/\n1:name=systemd:/system.slice/docker.service\n");
    assert.equal(await cg.contains(7), true);
    await writeFile(join(root, "proc", "7", "cgroup"), "4:memory:/system.slice/docker.service\n1:name=systemd:/user.slice\n");
    assert.equal(await cg.contains(7), false);
  });

  it("refuses a service that is not running, and names that cannot hold processes", async () => {
    const cg = new SystemdUnitCgroup("/system.slice/containerd.service", v2, { procRoot: join(root, "proc"), busctl: "busctl", run });
    await assert.rejects(cg.ensure(1), { kind: "FailedPrecondition", message: 'Unit "containerd.service" is not running; start it, or name a .scope for docker-cri to create' });
    assert.throws(() => new SystemdUnitCgroup("/docker-runtime", v2, { procRoot: "/proc", busctl: "busctl", run }), { kind: "InvalidArgument", message: /the last part must be a unit that holds processes/ });
    assert.throws(() => new SystemdUnitCgroup("/runtime/docker.scope", v2, { procRoot: "/proc", busctl: "busctl", run }), { kind: "InvalidArgument", message: /every part above the unit must be a slice/ });
  });

  it("reports systemd's refusal with the method and unit", async () => {
    const failing: CommandRunner = () => Promise.reject(new Error("Failed to start transient scope unit: Unit docker-runtime.scope already exists."));
    const cg = new SystemdUnitCgroup("/docker-runtime.scope", v2, { procRoot: join(root, "proc"), busctl: "busctl", run: failing });
    await assert.rejects(cg.attach([1], 1), { kind: "Internal", message: 'systemd StartTransientUnit for "docker-runtime.scope" failed: Failed to start transient scope unit: Unit docker-runtime.scope already exists.' });
  });
});
