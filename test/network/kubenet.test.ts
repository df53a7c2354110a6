/**
 * KubenetPlugin with Debian's real CNI plugins on private network namespaces, under a bridge name,
 * network name and allocation directory of the run's own (never a node's real cbr0): dual-stack
 * from the pod CIDRs, the MTU detected from the default route, hairpin (a pod reaching itself
 * through its own host port), promiscuous-bridge mode, and the masquerade and forward rules.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "../../src/logger/index.js";
import { KubenetPlugin, type NetworkPluginSettings, type PodNetworkSetup } from "../../src/network/index.js";
import { detectMtu } from "../../src/network/kubenet/detect-mtu.js";
import { kubenetHostRules, removeHostRules } from "../../src/network/kubenet/kubenet-host-rules.js";
import { addNetns, allocatedIps, cniBinDir, deleteLink, deleteNetns, haveCniPlugins, inNetns, randomId, readFrom, run, skipWithoutPlugins, testSubnets, type Netns } from "../kit/host-network.js";

const available = await haveCniPlugins();

describe("kubenet with real plugins", { skip: available ? false : skipWithoutPlugins }, () => {
  const id = randomId();
  const bridges = [`dcri${id}`, `dcrp${id}`];
  const network = `dcri-kubenet-${id}`;
  const subnets = testSubnets();
  const podCidr = `${subnets.v4},${subnets.v6}`;
  const hostPort = 32000 + (subnets.octet * 89 + Number.parseInt(id.slice(0, 2), 16)) % 700;
  let dir: string;
  let settings: NetworkPluginSettings;
  const namespaces: Netns[] = [];
  /** Pods set up and the plugin that did it, torn down in after() should a test fail half-way. */
  const pods = new Map<string, { plugin: KubenetPlugin; pod: PodNetworkSetup }>();

  function pod(ns: Netns, name: string, over: Partial<PodNetworkSetup> = {}): PodNetworkSetup {
    return { namespace: "docker-cri-test", name, uid: `uid-${name}`, sandboxId: `${id}${name}`.padEnd(64, "0"), netnsPath: ns.path, portMappings: [], annotations: {}, dns: undefined, ...over };
  }

  async function setUp(plugin: KubenetPlugin, p: PodNetworkSetup): Promise<readonly string[]> {
    pods.set(p.sandboxId, { plugin, pod: p });
    return (await plugin.setUpPod(p, AbortSignal.timeout(60_000))).ips;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "docker-cri-kubenet-"));
    settings = {
      pluginName: "kubenet",
      confDir: join(dir, "unused"),
      binDirs: [cniBinDir],
      cacheDir: join(dir, "cache"),
      mtu: 0,
      hairpinMode: "hairpin-veth",
      nonMasqueradeCidr: "10.0.0.0/8",
      podCidr: "",
      execTimeoutMs: 30_000,
    };
    for (let i = 0; i < 3; i++) namespaces.push(await addNetns());
  });
  after(async () => {
    for (const { plugin, pod: p } of pods.values()) await plugin.tearDownPod(p, AbortSignal.timeout(30_000)).catch(() => undefined);
    for (const ns of namespaces) await deleteNetns(ns);
    for (const b of bridges) {
      await removeHostRules(kubenetHostRules({ bridgeName: b, podCidrs: [subnets.v4, subnets.v6], nonMasqueradeCidr: "10.0.0.0/8" }), AbortSignal.timeout(30_000));
      await deleteLink(b);
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("wires pods from the pod CIDRs on its bridge, with the host's MTU, hairpin, masquerade and forwarding", async () => {
    const [nsA, nsB] = namespaces;
    assert.ok(nsA !== undefined && nsB !== undefined);
    const bridge = bridges[0] ?? "";
    const kubenet = new KubenetPlugin(settings, silentLogger(), { bridgeName: bridge, networkName: network, ipamDataDir: join(dir, "ipam") });
    assert.equal((await kubenet.status()).ready, false, "no pod CIDR yet");
    // What UpdateRuntimeConfig does.
    kubenet.setPodCidr(podCidr);
    assert.equal((await kubenet.status()).ready, true);

    const withPort = pod(nsA, "a", { portMappings: [{ protocol: "tcp", containerPort: 8080, hostPort, hostIp: "" }] });
    const a = { ips: await setUp(kubenet, withPort) };
    const b = { ips: await setUp(kubenet, pod(nsB, "b")) };
    const v4Prefix = subnets.v4.replace(/0\/24$/, "");
    const v6Prefix = subnets.v6.replace(/::\/64$/, ":");
    for (const r of [a, b]) {
      assert.ok(r.ips[0]?.startsWith(v4Prefix) === true && r.ips[1]?.startsWith(v6Prefix) === true, `dual-stack from ${podCidr}: ${r.ips.join(", ")}`);
    }

    // MTU: the default route's interface's, on both ends of the pod's link.
    const { mtu } = await detectMtu();
    assert.match((await inNetns(nsA, ["ip", "-o", "link", "show", "eth0"])).stdout, new RegExp(`mtu ${mtu} `));
    // hairpin-veth: every bridge port has hairpin mode on.
    const ports = await readdir(`/sys/class/net/${bridge}/brif`);
    assert.equal(ports.length, 2);
    for (const p of ports) assert.equal((await readFile(`/sys/class/net/${bridge}/brif/${p}/hairpin_mode`, "utf8")).trim(), "1", p);

    // Masquerade outside the non-masquerade CIDR, and forwarding through the bridge, are in place.
    for (const r of kubenetHostRules({ bridgeName: bridge, podCidrs: [subnets.v4, subnets.v6], nonMasqueradeCidr: "10.0.0.0/8" })) {
      assert.equal((await run(r.tool, ["-w", "5", "-t", r.table, "-C", r.chain, ...r.spec])).code, 0, `${r.tool} ${r.chain} ${r.spec.join(" ")}`);
    }
    // Pod to pod passes Docker's FORWARD DROP policy thanks to the forward rules (no firewall plugin here).
    assert.equal((await inNetns(nsB, ["busybox", "ping", "-c", "1", "-W", "3", a.ips[0] ?? ""])).code, 0);
    assert.equal((await inNetns(nsB, ["busybox", "ping", "-c", "1", "-W", "3", a.ips[1] ?? ""])).code, 0);

    // Hairpin: pod A reaches its own server through the node's host port (via the bridge's address).
    const gateway = `${v4Prefix}1`;
    const server = inNetns(nsA, ["busybox", "timeout", "10", "busybox", "nc", "-l", "-p", "8080", "-e", "echo", `hairpin-${id}`], 15_000);
    let answer = "";
    for (let i = 0; i < 30 && !answer.includes(id); i++) {
      answer = (await inNetns(nsA, ["busybox", "nc", "-w", "2", gateway, String(hostPort)], 10_000)).stdout;
      if (!answer.includes(id)) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(answer.trim(), `hairpin-${id}`);
    await server;
    // And from the node itself.
    const server2 = inNetns(nsA, ["busybox", "timeout", "10", "busybox", "nc", "-l", "-p", "8080", "-e", "echo", `node-${id}`], 15_000);
    let fromNode = "";
    for (let i = 0; i < 30 && !fromNode.includes(id); i++) {
      fromNode = await readFrom("127.0.0.1", hostPort).catch(() => "");
      if (!fromNode.includes(id)) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(fromNode.trim(), `node-${id}`);
    await server2;

    // A restarted docker-cri that has not been told the pod CIDR yet still tears down from the cache.
    const restarted = new KubenetPlugin(settings, silentLogger(), { bridgeName: bridge, networkName: network, ipamDataDir: join(dir, "ipam") });
    await restarted.tearDownPod(withPort, AbortSignal.timeout(60_000));
    await restarted.tearDownPod(pod(nsB, "b"), AbortSignal.timeout(60_000));
    assert.deepEqual(await allocatedIps(join(dir, "ipam"), network), []);
  });

  it("promiscuous-bridge puts the bridge in promiscuous mode instead of hairpinning each port", async () => {
    const nsC = namespaces[2];
    assert.ok(nsC !== undefined);
    const bridge = bridges[1] ?? "";
    const kubenet = new KubenetPlugin({ ...settings, hairpinMode: "promiscuous-bridge", mtu: 1280, podCidr: subnets.v4.replace(/0\/24$/, "128/25") }, silentLogger(), {
      bridgeName: bridge,
      networkName: `${network}-p`,
      ipamDataDir: join(dir, "ipam"),
    });
    const c = pod(nsC, "c");
    const ips = await setUp(kubenet, c);
    assert.equal(ips.length, 1);
    const flags = Number.parseInt((await readFile(`/sys/class/net/${bridge}/flags`, "utf8")).trim(), 16);
    assert.equal(flags & 0x100, 0x100, "IFF_PROMISC on the bridge");
    for (const p of await readdir(`/sys/class/net/${bridge}/brif`)) {
      assert.equal((await readFile(`/sys/class/net/${bridge}/brif/${p}/hairpin_mode`, "utf8")).trim(), "0");
    }
    assert.match((await inNetns(nsC, ["ip", "-o", "link", "show", "eth0"])).stdout, /mtu 1280 /, "--network-plugin-mtu wins over detection");
    await kubenet.tearDownPod(c, AbortSignal.timeout(60_000));
    assert.deepEqual(await allocatedIps(join(dir, "ipam"), `${network}-p`), []);
    await removeHostRules(kubenetHostRules({ bridgeName: bridge, podCidrs: [subnets.v4.replace(/0\/24$/, "128/25")], nonMasqueradeCidr: "10.0.0.0/8" }), AbortSignal.timeout(30_000));
  });
});
