/**
 * CniPlugin with Debian's real CNI plugins (bridge, host-local, portmap, firewall, loopback) on
 * private network namespaces: dual-stack addresses, pod-to-pod traffic, a host port, and teardown
 * after a "restart" releasing every host-local allocation. Bridge, subnets and namespaces are unique
 * to the run and removed afterwards.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "../../src/logger/index.js";
import { CniPlugin, type NetworkPluginSettings, type PodNetworkSetup } from "../../src/network/index.js";
import { addNetns, allocatedIps, cniBinDir, deleteLink, deleteNetns, haveCniPlugins, inNetns, randomId, readFrom, run, skipWithoutPlugins, testSubnets, type Netns } from "../kit/host-network.js";

const available = await haveCniPlugins();

describe("CNI with real plugins", { skip: available ? false : skipWithoutPlugins }, () => {
  const id = randomId();
  const bridge = `dcri${id}`;
  const network = `dcri-test-${id}`;
  const subnets = testSubnets();
  const hostPort = 30000 + (subnets.octet * 97 + Number.parseInt(id.slice(0, 2), 16)) % 2000;
  let dir: string;
  let confDir: string;
  let ipamDir: string;
  let settings: NetworkPluginSettings;
  const namespaces: Netns[] = [];
  const plugins: CniPlugin[] = [];
  /** Pods set up, torn down in after() should a test fail half-way. */
  const pods = new Map<string, PodNetworkSetup>();

  function newPlugin(): CniPlugin {
    const p = new CniPlugin(settings, silentLogger());
    plugins.push(p);
    return p;
  }

  function pod(ns: Netns, name: string, over: Partial<PodNetworkSetup> = {}): PodNetworkSetup {
    const p: PodNetworkSetup = {
      namespace: "docker-cri-test",
      name,
      uid: `uid-${name}`,
      sandboxId: `${id}${name}`.padEnd(64, "0"),
      netnsPath: ns.path,
      portMappings: [],
      annotations: {},
      dns: undefined,
      ...over,
    };
    pods.set(p.sandboxId, p);
    return p;
  }

  async function writeConfig(version: string, withFirewall: boolean): Promise<void> {
    for (const f of await readdir(confDir)) await rm(join(confDir, f));
    await writeFile(
      join(confDir, "10-test.conflist"),
      JSON.stringify({
        cniVersion: version,
        name: network,
        plugins: [
          {
            type: "bridge",
            bridge,
            isGateway: true,
            // Only with a namespace to read the addresses from can the bridge plugin's DEL remove its
            // masquerade rules, so the "restart with the sandbox gone" cases leave it off.
            ipMasq: withFirewall,
            hairpinMode: true,
            ipam: { type: "host-local", dataDir: ipamDir, ranges: [[{ subnet: subnets.v4 }], [{ subnet: subnets.v6 }]], routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }] },
          },
          { type: "portmap", capabilities: { portMappings: true } },
          // Docker sets FORWARD's policy to DROP and br_netfilter sends bridged traffic through it.
          ...(withFirewall ? [{ type: "firewall" }, { type: "bandwidth", capabilities: { bandwidth: true } }] : []),
        ],
      }),
    );
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "docker-cri-cni-real-"));
    confDir = join(dir, "conf");
    ipamDir = join(dir, "ipam");
    await mkdir(confDir);
    settings = {
      pluginName: "cni",
      confDir,
      binDirs: [cniBinDir],
      cacheDir: join(dir, "cache"),
      mtu: 0,
      hairpinMode: "hairpin-veth",
      nonMasqueradeCidr: "10.0.0.0/8",
      podCidr: "",
      execTimeoutMs: 30_000,
    };
    for (let i = 0; i < 2; i++) namespaces.push(await addNetns());
  });
  after(async () => {
    const cleaner = plugins[0];
    for (const p of pods.values()) await cleaner?.tearDownPod({ ...p, netnsPath: "" }, AbortSignal.timeout(30_000)).catch(() => undefined);
    for (const p of plugins) p.close();
    for (const ns of namespaces) await deleteNetns(ns);
    await deleteLink(bridge);
    await rm(dir, { recursive: true, force: true });
  });

  it("gives two pods IPv4 and IPv6 addresses; they reach each other, a host port reaches one, and DEL releases everything", async () => {
    await writeConfig("1.0.0", true);
    const plugin = newPlugin();
    const [nsA, nsB] = namespaces;
    assert.ok(nsA !== undefined && nsB !== undefined);
    const a = await plugin.setUpPod(pod(nsA, "a", { annotations: { "kubernetes.io/ingress-bandwidth": "10M" } }), AbortSignal.timeout(60_000));
    const b = await plugin.setUpPod(pod(nsB, "b", { portMappings: [{ protocol: "tcp", containerPort: 8080, hostPort, hostIp: "" }] }), AbortSignal.timeout(60_000));
    const v4Prefix = subnets.v4.replace(/0\/24$/, "");
    const v6Prefix = subnets.v6.replace(/::\/64$/, ":");
    for (const r of [a, b]) {
      assert.equal(r.ips.length, 2, `two families: ${r.ips.join(", ")}`);
      assert.ok(r.ips[0]?.startsWith(v4Prefix), `IPv4 first in ${subnets.v4}: ${r.ips.join(", ")}`);
      assert.ok(r.ips[1]?.startsWith(v6Prefix), `then IPv6 in ${subnets.v6}: ${r.ips.join(", ")}`);
    }
    assert.deepEqual(await allocatedIps(ipamDir, network), [...a.ips, ...b.ips].sort());
    // The addresses really are on eth0 in the namespace, and lo is up (the loopback plugin ran).
    const addrs = await inNetns(nsA, ["ip", "-o", "addr", "show"]);
    assert.match(addrs.stdout, new RegExp(`eth0\\s+inet ${(a.ips[0] ?? "").replace(/\./g, "\\.")}/24`));
    assert.match(addrs.stdout, /lo\s+inet 127\.0\.0\.1\/8/);

    // The bandwidth plugin shaped pod A's traffic from its annotation (a token bucket on its host-side veth).
    const shaped = await run("tc", ["qdisc", "show"]);
    assert.match(shaped.stdout, /qdisc tbf .* rate 10Mbit/);

    // Pod to pod, both families.
    const [bV4, bV6] = b.ips;
    assert.equal((await inNetns(nsA, ["busybox", "ping", "-c", "1", "-W", "3", bV4 ?? ""])).code, 0, `A pings B at ${bV4}`);
    assert.equal((await inNetns(nsA, ["busybox", "ping", "-c", "1", "-W", "3", bV6 ?? ""])).code, 0, `A pings B at ${bV6}`);

    // A host port on the node reaches a server in pod B.
    const server = inNetns(nsB, ["busybox", "timeout", "10", "busybox", "nc", "-l", "-p", "8080", "-e", "echo", `hello-${id}`], 15_000);
    let answer = "";
    for (let i = 0; i < 50 && !answer.includes(id); i++) {
      answer = await readFrom("127.0.0.1", hostPort).catch(() => "");
      if (!answer.includes(id)) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(answer.trim(), `hello-${id}`);
    await server;

    await plugin.tearDownPod(pod(nsA, "a"), AbortSignal.timeout(60_000));
    assert.doesNotMatch((await run("tc", ["qdisc", "show"])).stdout, /qdisc tbf .* rate 10Mbit/, "the shaping went with the pod");
    await plugin.tearDownPod(pod(nsB, "b", { portMappings: [{ protocol: "tcp", containerPort: 8080, hostPort, hostIp: "" }] }), AbortSignal.timeout(60_000));
    assert.deepEqual(await allocatedIps(ipamDir, network), [], "host-local released every address");
    assert.deepEqual(await readdir(join(dir, "cache", "results")), [], "no cache record left");
    assert.equal((await inNetns(nsA, ["ip", "link", "show", "eth0"])).code, 1, "eth0 is gone from the namespace");
  });

  for (const version of ["0.3.1", "0.4.0", "1.0.0"]) {
    it(`spec ${version}: addresses from the result; a restarted docker-cri tears down from the cache after the config is gone`, async () => {
      await writeConfig(version, false);
      const [nsA] = namespaces;
      assert.ok(nsA !== undefined);
      const first = newPlugin();
      const p = pod(nsA, `v${version.replace(/\./g, "")}`);
      const r = await first.setUpPod(p, AbortSignal.timeout(60_000));
      assert.equal(r.ips.length, 2, r.ips.join(", "));
      assert.deepEqual(await allocatedIps(ipamDir, network), [...r.ips].sort());
      // docker-cri "restarts" with the sandbox gone and no config left.
      await rm(join(confDir, "10-test.conflist"));
      await deleteNetns(nsA);
      namespaces[0] = await addNetns();
      const second = newPlugin();
      assert.equal((await second.status()).ready, false);
      await second.tearDownPod({ namespace: p.namespace, name: p.name, sandboxId: p.sandboxId, netnsPath: "", portMappings: [] }, AbortSignal.timeout(60_000));
      assert.deepEqual(await allocatedIps(ipamDir, network), [], "no IP leaked");
    });
  }
});
