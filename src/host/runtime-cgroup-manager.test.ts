import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PassThrough } from "node:stream";
import { createLogger, silentLogger } from "../logger/index.js";
import { RuntimeCgroupManager, runtimeMemoryLimit, startRuntimeCgroupManager } from "./runtime-cgroup-manager.js";

describe("runtimeMemoryLimit", () => {
  it("is 70 % of the host's memory, and never under 150 MiB", () => {
    assert.equal(runtimeMemoryLimit(16 * 1024 ** 3), Math.floor(16 * 1024 ** 3 * 0.7));
    assert.equal(runtimeMemoryLimit(200 * 1024 ** 2), 150 * 1024 ** 2);
    assert.equal(runtimeMemoryLimit(Number.NaN), 150 * 1024 ** 2);
  });
});

describe("RuntimeCgroupManager.create", () => {
  it("refuses names that are not absolute or climb out of the hierarchy", async () => {
    for (const name of ["docker", "/", "/a/../b"]) {
      await assert.rejects(RuntimeCgroupManager.create({ cgroupName: name, driver: "cgroupfs", log: silentLogger() }), { kind: "InvalidArgument", message: new RegExp(`^Invalid --runtime-cgroups "${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}"`) });
    }
  });

  it("picks the cgroup v2 writer on a unified host and the systemd one for the systemd driver", async () => {
    const dir = await mkdtemp(join(tmpdir(), "docker-cri-mountinfo-"));
    try {
      const mountinfo = join(dir, "mountinfo");
      await writeFile(mountinfo, "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
      const fs = await RuntimeCgroupManager.create({ cgroupName: "/docker-runtime", driver: "cgroupfs", log: silentLogger(), mountinfoPath: mountinfo, memoryLimitBytes: 1 << 30 });
      assert.equal(fs.description, 'cgroupfs v2 "/docker-runtime"');
      assert.equal(fs.memoryLimitBytes, 1 << 30);
      const sd = await RuntimeCgroupManager.create({ cgroupName: "/system.slice//docker.service/", driver: "systemd", log: silentLogger(), mountinfoPath: mountinfo });
      assert.equal(sd.description, 'systemd unit "docker.service" (cgroup v2 "/system.slice/docker.service")');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("start never throws: a cgroup it cannot manage is logged and the manager is absent", async () => {
    const stream = new PassThrough();
    let text = "";
    stream.setEncoding("utf8");
    stream.on("data", (c: string) => { text += c; });
    const manager = await startRuntimeCgroupManager({ cgroupName: "/x", driver: "cgroupfs", log: createLogger("info", stream), mountinfoPath: "/nonexistent/mountinfo" });
    assert.equal(manager, undefined);
    const lines = text.trim().split("\n");
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? "", /"level":"error".*Cannot manage the container runtime's cgroup: Cannot read \\"\/nonexistent\/mountinfo\\"/);
  });
});
