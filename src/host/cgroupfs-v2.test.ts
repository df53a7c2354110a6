import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CgroupfsV2 } from "./cgroupfs-v2.js";

// A unified hierarchy imitated in a temp directory: the kernel's files are written by the test where
// the kernel would create them.
describe("CgroupfsV2", () => {
  let root: string;
  let proc: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "docker-cri-cgroup2-"));
    proc = join(root, "proc");
    await mkdir(join(root, "fs", "runtime.slice"), { recursive: true });
    await writeFile(join(root, "fs", "cgroup.controllers"), "cpuset cpu io memory pids\n");
    await writeFile(join(root, "fs", "cgroup.subtree_control"), "cpu pids\n");
    await writeFile(join(root, "fs", "runtime.slice", "cgroup.subtree_control"), "memory pids\n");
    await mkdir(join(root, "fs", "runtime.slice", "docker"), { recursive: true });
    await writeFile(join(root, "fs", "runtime.slice", "docker", "memory.swap.max"), "0\n");
    await mkdir(join(proc, "42"), { recursive: true });
    await writeFile(join(proc, "42", "cgroup"), "0::/system.slice/docker.service\n");
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("delegates the memory controller down to the cgroup, sets memory.max and unlimited swap, and moves pids", async () => {
    const cg = new CgroupfsV2("/runtime.slice/docker", { mountPoint: join(root, "fs"), root: "/", controllers: [] }, proc);
    await cg.ensure(734003200);
    // The root lacked memory in subtree_control; runtime.slice had it already and is left alone.
    assert.equal(await readFile(join(root, "fs", "cgroup.subtree_control"), "utf8"), "+memory");
    assert.equal(await readFile(join(root, "fs", "runtime.slice", "cgroup.subtree_control"), "utf8"), "memory pids\n");
    assert.equal(await readFile(join(root, "fs", "runtime.slice", "docker", "memory.max"), "utf8"), "734003200");
    assert.equal(await readFile(join(root, "fs", "runtime.slice", "docker", "memory.swap.max"), "utf8"), "max");
    assert.equal(await cg.contains(42), false);
    await cg.attach([42]);
    assert.equal(await readFile(join(root, "fs", "runtime.slice", "docker", "cgroup.procs"), "utf8"), "42");
    await writeFile(join(proc, "42", "cgroup"), "0::/runtime.slice/docker\n");
    assert.equal(await cg.contains(42), true);
  });

  it("refuses when the host does not offer the memory controller", async () => {
    await writeFile(join(root, "fs", "cgroup.controllers"), "cpu pids\n");
    const cg = new CgroupfsV2("/runtime", { mountPoint: join(root, "fs"), root: "/", controllers: [] }, proc);
    await assert.rejects(cg.ensure(1 << 30), { kind: "FailedPrecondition", message: /The memory controller is not available in ".*fs" \(cgroup\.controllers: "cpu pids"\)/ });
    await writeFile(join(root, "fs", "cgroup.controllers"), "cpuset cpu io memory pids\n");
  });
});
