import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SandboxCheckpoint } from "../../store/index.js";
import { networkSetupInterrupted } from "./stop-unnetworked-sandboxes.js";

const cp: SandboxCheckpoint = {
  name: "web",
  namespace: "default",
  uid: "u1",
  attempt: 0,
  hostNetwork: false,
  portMappings: [],
  labels: {},
  createdAt: 1n,
  networkPlugin: "cni",
  podIps: [],
  runtimeHandler: "",
  legacy: false,
};

describe("networkSetupInterrupted", () => {
  it("is a plugin-networked sandbox of ours whose checkpoint never got its IPs", () => {
    assert.equal(networkSetupInterrupted(cp), true);
    assert.equal(networkSetupInterrupted({ ...cp, podIps: ["10.98.1.2"] }), false, "set up");
    assert.equal(networkSetupInterrupted({ ...cp, hostNetwork: true }), false, "host network: nothing to set up");
    assert.equal(networkSetupInterrupted({ ...cp, networkPlugin: "" }), false, "Docker's bridge: Docker networks it");
    assert.equal(networkSetupInterrupted({ ...cp, legacy: true }), false, "cri-dockerd's checkpoints never hold IPs");
    assert.equal(networkSetupInterrupted(undefined), false);
  });
});
