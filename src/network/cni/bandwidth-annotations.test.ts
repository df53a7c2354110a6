import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hasKind } from "../../errors/index.js";
import { bandwidthFromAnnotations, parseQuantity } from "./bandwidth-annotations.js";
import { capabilityArgs } from "./capability-args.js";

describe("bandwidth annotations", () => {
  it("parses Kubernetes quantities, rounding up", () => {
    assert.equal(parseQuantity("10M"), 10_000_000);
    assert.equal(parseQuantity("1Gi"), 2 ** 30);
    assert.equal(parseQuantity("1.5k"), 1500);
    assert.equal(parseQuantity("1e6"), 1_000_000);
    assert.equal(parseQuantity("2500m"), 3);
    assert.equal(parseQuantity("100"), 100);
    assert.equal(parseQuantity("10 M"), undefined);
    assert.equal(parseQuantity("ten"), undefined);
    assert.equal(parseQuantity("5X"), undefined);
  });

  it("maps the annotations to the bandwidth capability with the kubelet's burst", () => {
    assert.equal(bandwidthFromAnnotations({}), undefined);
    assert.deepEqual(bandwidthFromAnnotations({ "kubernetes.io/ingress-bandwidth": "10M", "kubernetes.io/egress-bandwidth": "1M" }), {
      ingressRate: 10_000_000,
      ingressBurst: 2147483647,
      egressRate: 1_000_000,
      egressBurst: 2147483647,
    });
    assert.deepEqual(bandwidthFromAnnotations({ "kubernetes.io/egress-bandwidth": "2k" }), { egressRate: 2000, egressBurst: 2147483647 });
  });

  it("refuses invalid and unreasonable values as InvalidArgument naming the annotation", () => {
    for (const [value, re] of [["fast", /not a quantity/], ["10", /unreasonably small/], ["2P", /unreasonably large/]] as const) {
      assert.throws(
        () => bandwidthFromAnnotations({ "kubernetes.io/ingress-bandwidth": value }),
        (err: unknown) => hasKind(err, "InvalidArgument") && re.test(err.message) && err.message.includes("kubernetes.io/ingress-bandwidth"),
      );
    }
  });
});

describe("capability args", () => {
  it("offers portMappings (host ports only), bandwidth, ipRanges per CIDR and dns", () => {
    const caps = capabilityArgs({
      portMappings: [
        { protocol: "tcp", containerPort: 80, hostPort: 8080, hostIp: "" },
        { protocol: "udp", containerPort: 53, hostPort: 5353, hostIp: "127.0.0.1" },
        { protocol: "tcp", containerPort: 9000, hostPort: 0, hostIp: "" },
      ],
      annotations: { "kubernetes.io/ingress-bandwidth": "1M" },
      podCidrs: ["10.244.1.0/24", "fd00:10:244:1::/64"],
      dns: { servers: ["10.96.0.10"], searches: ["svc.cluster.local"], options: ["ndots:5"] },
    });
    assert.deepEqual(caps, {
      portMappings: [
        { hostPort: 8080, containerPort: 80, protocol: "tcp" },
        { hostPort: 5353, containerPort: 53, protocol: "udp", hostIP: "127.0.0.1" },
      ],
      bandwidth: { ingressRate: 1_000_000, ingressBurst: 2147483647 },
      ipRanges: [[{ subnet: "10.244.1.0/24" }], [{ subnet: "fd00:10:244:1::/64" }]],
      dns: { servers: ["10.96.0.10"], searches: ["svc.cluster.local"], options: ["ndots:5"] },
    });
    assert.deepEqual(capabilityArgs({ portMappings: [], annotations: {}, podCidrs: [], dns: undefined }), { portMappings: [] });
  });
});
