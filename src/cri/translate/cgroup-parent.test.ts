import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expectedCgroupParent } from "./cgroup-parent.js";

describe("cgroup parent", () => {
  it("passes cgroupfs paths through", () => {
    assert.equal(expectedCgroupParent("cgroupfs", "/kubepods/burstable/pod123"), "/kubepods/burstable/pod123");
    assert.equal(expectedCgroupParent("cgroupfs", ""), "");
  });

  it("gives systemd the slice name, cutting a path to its last component", () => {
    assert.equal(expectedCgroupParent("systemd", "kubepods-burstable-pod123.slice"), "kubepods-burstable-pod123.slice");
    assert.equal(expectedCgroupParent("systemd", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice"), "kubepods-burstable-pod123.slice");
    assert.equal(expectedCgroupParent("systemd", ""), "");
  });

  it("refuses a cgroupfs path under the systemd driver", () => {
    assert.throws(() => expectedCgroupParent("systemd", "/kubepods/burstable/pod123"), /Invalid cgroup parent "\/kubepods\/burstable\/pod123": Docker uses the systemd cgroup driver/);
  });
});
