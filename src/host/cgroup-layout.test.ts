import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cgroupDir, parseCgroupLayout } from "./cgroup-layout.js";

// A Debian 12 host booted with cgroup v1 (hybrid: the unified hierarchy at /sys/fs/cgroup/unified).
const hybrid = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
99 31 0:32 / /mnt/memory\\040copy rw,relatime - cgroup cgroup rw,memory
`;

describe("parseCgroupLayout", () => {
  it("reads a v1 (hybrid) host: resource hierarchies with sorted controllers, systemd's named one apart", () => {
    const layout = parseCgroupLayout(hybrid);
    assert.ok(layout.version === 1, "a host with v1 controllers is v1");
    assert.deepEqual(layout.hierarchies.map((h) => [h.mountPoint, h.controllers.join(",")]), [
      ["/sys/fs/cgroup/cpu,cpuacct", "cpu,cpuacct"],
      ["/sys/fs/cgroup/cpuset", "cpuset"],
      // The second mount of the memory hierarchy is the same hierarchy: the first serves.
      ["/sys/fs/cgroup/memory", "memory"],
    ]);
    assert.equal(layout.systemd?.mountPoint, "/sys/fs/cgroup/systemd");
  });

  it("reads a unified (v2) host", () => {
    const layout = parseCgroupLayout("30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n");
    assert.deepEqual(layout, { version: 2, unified: { mountPoint: "/sys/fs/cgroup", root: "/", controllers: [] } });
  });

  it("undoes mountinfo's octal escapes in mount points", () => {
    const layout = parseCgroupLayout("99 31 0:32 / /mnt/memory\\040copy rw - cgroup cgroup rw,memory\n");
    assert.ok(layout.version === 1);
    assert.equal(layout.hierarchies[0]?.mountPoint, "/mnt/memory copy");
  });

  it("says so when no cgroup filesystem is mounted", () => {
    assert.throws(() => parseCgroupLayout("22 1 0:21 / /proc rw - proc proc rw\n"), { name: "CriError", kind: "FailedPrecondition", message: /No cgroup filesystem is mounted/ });
  });
});

describe("cgroupDir", () => {
  it("maps a cgroup name into the mount, also when the mount shows only part of the hierarchy", () => {
    assert.equal(cgroupDir({ mountPoint: "/sys/fs/cgroup/memory", root: "/", controllers: ["memory"] }, "/docker-runtime"), "/sys/fs/cgroup/memory/docker-runtime");
    const inner = { mountPoint: "/sys/fs/cgroup/memory", root: "/kubepods/pod1", controllers: ["memory"] };
    assert.equal(cgroupDir(inner, "/kubepods/pod1/runtime"), "/sys/fs/cgroup/memory/runtime");
    assert.throws(() => cgroupDir(inner, "/elsewhere"), { kind: "FailedPrecondition", message: /Cgroup "\/elsewhere" is outside the part of the hierarchy mounted at "\/sys\/fs\/cgroup\/memory"/ });
  });
});
