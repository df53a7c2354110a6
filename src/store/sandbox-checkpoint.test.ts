import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeCheckpoint, encodeCheckpoint, type SandboxCheckpoint } from "./sandbox-checkpoint.js";

const sample: Omit<SandboxCheckpoint, "legacy"> = {
  name: "web-0",
  namespace: "default",
  uid: "6b1c3e2a-0000-4000-8000-000000000001",
  attempt: 2,
  hostNetwork: false,
  portMappings: [{ protocol: "udp", containerPort: 53, hostPort: 5353, hostIp: "127.0.0.1" }],
  labels: { app: "web" },
  createdAt: 1_700_000_000_123_456_789n,
  networkPlugin: "cni",
  podIps: ["10.244.0.5", "fd00::5"],
  runtimeHandler: "runc",
};

describe("sandbox checkpoint encoding", () => {
  it("round-trips every field, nanoseconds included", () => {
    const decoded = decodeCheckpoint(encodeCheckpoint(sample));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.checkpoint, { ...sample, legacy: false });
  });

  it("keeps cri-dockerd's field names", () => {
    const json = JSON.parse(encodeCheckpoint(sample)) as { name: string; data: { port_mappings: unknown[]; host_network: boolean } };
    assert.equal(json.name, "web-0");
    assert.deepEqual(json.data.port_mappings, [{ protocol: "udp", container_port: 53, host_port: 5353, host_ip: "127.0.0.1" }]);
    assert.equal(json.data.host_network, false);
  });

  it("detects any change to the content as a checksum mismatch", () => {
    const text = encodeCheckpoint(sample).replace('"host_port":5353', '"host_port":5354');
    assert.deepEqual(decodeCheckpoint(text), { ok: false, reason: "checksum mismatch" });
  });

  it("does not depend on key order", () => {
    const json = JSON.parse(encodeCheckpoint(sample)) as Record<string, unknown>;
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(json).reverse()));
    assert.ok(decodeCheckpoint(reordered).ok);
  });

  it("calls torn files, other JSON and unknown versions corrupt", () => {
    const text = encodeCheckpoint(sample);
    assert.equal(decodeCheckpoint(text.slice(0, 40)).ok, false);
    assert.equal(decodeCheckpoint("[]").ok, false);
    assert.deepEqual(decodeCheckpoint('{"version":"v9","checksum":1}'), { ok: false, reason: 'unknown version "v9"' });
  });

  it("reads cri-dockerd's own checkpoints without verifying their Go-specific checksum", () => {
    const legacy = JSON.stringify({
      version: "v1",
      name: "nginx",
      namespace: "prod",
      data: { port_mappings: [{ protocol: "tcp", container_port: 80, host_port: 8080 }], host_network: true },
      checksum: 1234567890,
    });
    const decoded = decodeCheckpoint(legacy);
    assert.ok(decoded.ok);
    assert.equal(decoded.checkpoint.legacy, true);
    assert.equal(decoded.checkpoint.hostNetwork, true);
    assert.deepEqual(decoded.checkpoint.portMappings, [{ protocol: "tcp", containerPort: 80, hostPort: 8080, hostIp: "" }]);
    assert.equal(decoded.checkpoint.uid, "");
  });
});
