import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Protocol } from "../../gen/index.js";
import { makePortBindings } from "./port-bindings.js";

describe("port bindings", () => {
  it("publishes host ports per protocol, several host ports per container port, and skips host port 0", () => {
    const r = makePortBindings([
      { protocol: Protocol.TCP, containerPort: 80, hostPort: 8080, hostIp: "" },
      { protocol: Protocol.TCP, containerPort: 80, hostPort: 8081, hostIp: "127.0.0.1" },
      { protocol: Protocol.UDP, containerPort: 53, hostPort: 5353, hostIp: "" },
      { protocol: Protocol.SCTP, containerPort: 9, hostPort: 9009, hostIp: "" },
      { protocol: Protocol.TCP, containerPort: 443, hostPort: 0, hostIp: "" },
    ]);
    assert.deepEqual(r.exposedPorts, { "80/tcp": {}, "53/udp": {}, "9/sctp": {} });
    assert.deepEqual(r.portBindings, {
      "80/tcp": [{ HostIp: "", HostPort: "8080" }, { HostIp: "127.0.0.1", HostPort: "8081" }],
      "53/udp": [{ HostIp: "", HostPort: "5353" }],
      "9/sctp": [{ HostIp: "", HostPort: "9009" }],
    });
  });
});
