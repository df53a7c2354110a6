import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { detectMtu } from "./detect-mtu.js";
import { kubenetNetworkConfig } from "./kubenet-config.js";
import { kubenetHostRules } from "./kubenet-host-rules.js";
import { networkOf } from "./network-of.js";

describe("kubenet config", () => {
  it("bridge + host-local over every pod CIDR, then portmap; hairpin modes map to the bridge plugin", () => {
    const c = kubenetNetworkConfig({ networkName: "kubenet", bridgeName: "cbr0", podCidrs: ["10.244.1.0/24", "fd00:1::/64"], mtu: 1400, hairpinMode: "hairpin-veth", bandwidth: false });
    assert.equal(c.cniVersion, "0.4.0");
    assert.equal(c.name, "kubenet");
    assert.deepEqual(c.pluginTypes, ["bridge", "portmap"]);
    const bridge = c.plugins[0]?.raw ?? {};
    assert.equal(bridge.bridge, "cbr0");
    assert.equal(bridge.mtu, 1400);
    assert.equal(bridge.isGateway, true);
    assert.equal(bridge.ipMasq, false);
    assert.equal(bridge.hairpinMode, true);
    assert.equal(bridge.promiscMode, false);
    assert.deepEqual(bridge.ipam, {
      type: "host-local",
      ranges: [[{ subnet: "10.244.1.0/24" }], [{ subnet: "fd00:1::/64" }]],
      routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
    });
    assert.deepEqual([...(c.plugins[1]?.capabilities ?? [])], ["portMappings"]);

    const p = kubenetNetworkConfig({ networkName: "k", bridgeName: "b", podCidrs: ["10.1.2.3/16"], mtu: 1500, hairpinMode: "promiscuous-bridge", ipamDataDir: "/tmp/x", bandwidth: true });
    const pb = p.plugins[0]?.raw ?? {};
    assert.equal(pb.hairpinMode, false);
    assert.equal(pb.promiscMode, true);
    assert.deepEqual(pb.ipam, { type: "host-local", ranges: [[{ subnet: "10.1.0.0/16" }]], routes: [{ dst: "0.0.0.0/0" }], dataDir: "/tmp/x" });
    assert.deepEqual(p.pluginTypes, ["bridge", "portmap", "bandwidth"]);

    const none = kubenetNetworkConfig({ networkName: "k", bridgeName: "b", podCidrs: ["10.1.0.0/16"], mtu: 1500, hairpinMode: "none", bandwidth: false });
    const noneBridge = none.plugins[0]?.raw ?? {};
    assert.equal(noneBridge.hairpinMode, false);
    assert.equal(noneBridge.promiscMode, false);
  });

  it("clears host bits of a CIDR, IPv4 and IPv6", () => {
    assert.equal(networkOf("10.244.1.7/24"), "10.244.1.0/24");
    assert.equal(networkOf("10.244.1.7/20"), "10.244.0.0/20");
    assert.equal(networkOf("10.0.0.1/32"), "10.0.0.1/32");
    assert.equal(networkOf("0.0.0.0/0"), "0.0.0.0/0");
    assert.equal(networkOf("fd00:10:244:1::7/64"), "fd00:10:244:1::/64");
    assert.equal(networkOf("fd00:10:244:1:ffff::/56"), "fd00:10:244::/56");
    assert.equal(networkOf("2001:db8::1/128"), "2001:db8::1/128");
    assert.equal(networkOf("::/0"), "::/0");
    assert.equal(networkOf("nope/8"), undefined);
  });

  it("masquerades each pod CIDR outside --non-masquerade-cidr and forwards through the bridge", () => {
    const rules = kubenetHostRules({ bridgeName: "cbr0", podCidrs: ["10.244.1.0/24", "fd00:1::/64"], nonMasqueradeCidr: "10.0.0.0/8" });
    const text = rules.map((r) => `${r.tool} -t ${r.table} -A ${r.chain} ${r.spec.join(" ")}`);
    assert.deepEqual(text, [
      "iptables -t nat -A POSTROUTING -s 10.244.1.0/24 -m comment --comment docker-cri kubenet: SNAT for outbound traffic from pods -m addrtype ! --dst-type LOCAL ! -d 10.0.0.0/8 -j MASQUERADE",
      "ip6tables -t nat -A POSTROUTING -s fd00:1::/64 -m comment --comment docker-cri kubenet: SNAT for outbound traffic from pods -m addrtype ! --dst-type LOCAL ! -d fd00:1::/64 -j MASQUERADE",
      "iptables -t filter -A FORWARD -i cbr0 -m comment --comment docker-cri kubenet: forward pod traffic -j ACCEPT",
      "iptables -t filter -A FORWARD -o cbr0 -m comment --comment docker-cri kubenet: forward pod traffic -j ACCEPT",
      "ip6tables -t filter -A FORWARD -i cbr0 -m comment --comment docker-cri kubenet: forward pod traffic -j ACCEPT",
      "ip6tables -t filter -A FORWARD -o cbr0 -m comment --comment docker-cri kubenet: forward pod traffic -j ACCEPT",
    ]);
    const off = kubenetHostRules({ bridgeName: "cbr0", podCidrs: ["10.244.1.0/24"], nonMasqueradeCidr: "0.0.0.0/0" });
    assert.equal(off.filter((r) => r.table === "nat").length, 0);
  });
});

describe("MTU detection", () => {
  async function fakeRoot(route: string, ipv6Route: string, mtus: Record<string, string>): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), "docker-cri-mtu-"));
    await mkdir(join(root, "proc/net"), { recursive: true });
    await writeFile(join(root, "proc/net/route"), route);
    await writeFile(join(root, "proc/net/ipv6_route"), ipv6Route);
    for (const [iface, mtu] of Object.entries(mtus)) {
      await mkdir(join(root, "sys/class/net", iface), { recursive: true });
      await writeFile(join(root, "sys/class/net", iface, "mtu"), `${mtu}\n`);
    }
    return root;
  }
  const header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

  it("takes the default route's interface with the lowest metric", async () => {
    const root = await fakeRoot(
      `${header}eth1\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\neth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n`,
      "",
      { eth0: "1400", eth1: "9000" },
    );
    try {
      assert.deepEqual(await detectMtu(root), { mtu: 1400, iface: "eth0" });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("falls back to IPv6's default route, then to 1460", async () => {
    const v6 = `${"0".repeat(32)} 00 ${"0".repeat(32)} 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     ens5\n${"0".repeat(32)} 00 ${"0".repeat(32)} 00 ${"0".repeat(32)} ffffffff 00000001 00000000 00200200       lo\n`;
    const root = await fakeRoot(header, v6, { ens5: "8950" });
    try {
      assert.deepEqual(await detectMtu(root), { mtu: 8950, iface: "ens5" });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    const empty = await fakeRoot(header, "", {});
    try {
      assert.deepEqual(await detectMtu(empty), { mtu: 1460, iface: "" });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
