import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { capabilityNames } from "../../host/host-limits.js";
import { capabilityChanges, capabilityEnvironment, normalizeCapability } from "./capabilities.js";

const all = capabilityNames.slice(0, 41);
const limited = capabilityEnvironment(all.filter((c) => c !== "CAP_SYS_RESOURCE"), 40);
const full = capabilityEnvironment(all, 40);

describe("capabilities", () => {
  it("tells a full bounding set from a limited one", () => {
    assert.equal(full.full, true);
    assert.equal(limited.full, false);
    assert.equal(capabilityEnvironment(all.slice(0, 38), 37).full, true, "an older kernel knows fewer");
  });

  it("normalizes names as Docker does and refuses unknown ones", () => {
    assert.equal(normalizeCapability("net_admin"), "CAP_NET_ADMIN");
    assert.equal(normalizeCapability("CAP_SYS_ADMIN"), "CAP_SYS_ADMIN");
    assert.equal(normalizeCapability("all"), "ALL");
    assert.throws(() => normalizeCapability("FLY"), /Unknown capability "FLY"/);
  });

  it("keeps ALL on a normal host and spells it out on a limited one", () => {
    assert.deepEqual(capabilityChanges(["ALL"], ["KILL"], full), { capAdd: ["ALL"], capDrop: ["CAP_KILL"] });
    const r = capabilityChanges(["ALL", "NET_ADMIN"], [], limited);
    assert.equal(r.capAdd.length, 40);
    assert.ok(!r.capAdd.includes("CAP_SYS_RESOURCE"));
  });

  it("leaves out what Docker does not know, which Docker's own privileged mode never asks for", () => {
    const old = capabilityEnvironment(all.filter((c) => c !== "CAP_SYS_RESOURCE"), 40, ["CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"]);
    assert.equal(old.full, false);
    assert.equal(old.bounding.length, 37);
    assert.equal(capabilityEnvironment(all, 40, ["CAP_PERFMON"]).full, true);
    assert.throws(() => capabilityChanges(["PERFMON"], [], old), /this Docker does not know it/);
    assert.deepEqual(capabilityChanges([], ["PERFMON", "KILL"], old).capDrop, ["CAP_KILL"]);
  });

  it("refuses a named capability the host cannot grant", () => {
    assert.throws(() => capabilityChanges(["SYS_RESOURCE"], [], limited), /"CAP_SYS_RESOURCE": it is not in this host's capability bounding set/);
    assert.deepEqual(capabilityChanges(["SYS_RESOURCE"], [], full).capAdd, ["CAP_SYS_RESOURCE"]);
  });
});
