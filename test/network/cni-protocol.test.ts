/**
 * The CNI exec protocol as docker-cri speaks it, seen from the plugin's side: fake plugin
 * executables record their environment and stdin, and fail or hang on demand.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { hasKind } from "../../src/errors/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { CniPlugin } from "../../src/network/index.js";
import type { NetworkPluginSettings, PodNetworkSetup } from "../../src/network/index.js";
import { writeFakePlugins, type FakePlugins } from "../fakes/fake-cni-plugin.js";

const sandboxId = "a".repeat(64);

function pod(over: Partial<PodNetworkSetup> = {}): PodNetworkSetup {
  return {
    namespace: "ns1",
    name: "web",
    uid: "uid-1",
    sandboxId,
    netnsPath: "/proc/1/ns/net",
    portMappings: [{ protocol: "tcp", containerPort: 80, hostPort: 8080, hostIp: "" }],
    annotations: { "kubernetes.io/egress-bandwidth": "1M" },
    dns: { servers: ["10.96.0.10"], searches: ["svc"], options: ["ndots:5"] },
    ...over,
  };
}

describe("CNI exec protocol (fake plugins)", () => {
  let dir: string;
  let confDir: string;
  let cacheDir: string;
  let fake: FakePlugins;
  let settings: NetworkPluginSettings;
  const plugins: CniPlugin[] = [];

  function newPlugin(over: Partial<NetworkPluginSettings> = {}): CniPlugin {
    const p = new CniPlugin({ ...settings, ...over }, silentLogger());
    plugins.push(p);
    return p;
  }

  async function writeList(version: string, extra: Record<string, unknown> = {}): Promise<void> {
    await writeFile(
      join(confDir, "10-fake.conflist"),
      JSON.stringify({
        cniVersion: version,
        name: "fakenet",
        ...extra,
        plugins: [
          { type: "fake-main", fakeAddresses: ["fd00:200::5/64", "10.200.0.5/24"], capabilities: { ipRanges: true, dns: true } },
          { type: "fake-ports", capabilities: { portMappings: true } },
          { type: "fake-shaper", capabilities: { bandwidth: true } },
        ],
      }),
    );
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "docker-cri-cni-proto-"));
    confDir = join(dir, "conf");
    cacheDir = join(dir, "cache");
    await mkdir(confDir);
    await mkdir(join(dir, "bin"));
    await mkdir(join(dir, "ctl"));
    fake = await writeFakePlugins(join(dir, "bin"), join(dir, "ctl"), ["fake-main", "fake-ports", "fake-shaper"]);
    settings = {
      pluginName: "cni",
      confDir,
      binDirs: [join(dir, "empty-bin"), fake.binDir],
      cacheDir,
      mtu: 0,
      hairpinMode: "hairpin-veth",
      nonMasqueradeCidr: "10.0.0.0/8",
      podCidr: "10.200.0.0/16,fd00:200::/64",
      execTimeoutMs: 10_000,
    };
  });
  beforeEach(async () => {
    await fake.reset();
    await rm(cacheDir, { recursive: true, force: true });
  });
  after(async () => {
    for (const p of plugins) p.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("ADD: plugins in order, prevResult chained, name/version injected, capabilities filtered, CNI_* set", async () => {
    await writeList("1.0.0");
    const plugin = newPlugin();
    const result = await plugin.setUpPod(pod(), AbortSignal.timeout(20_000));
    assert.deepEqual(result.ips, ["10.200.0.5", "fd00:200::5"], "IPv4 first, both families");
    const calls = (await fake.calls()).filter((c) => c.command === "ADD");
    assert.deepEqual(calls.map((c) => c.type), ["fake-main", "fake-ports", "fake-shaper"]);
    const [main, ports, shaper] = calls;
    assert.ok(main !== undefined && ports !== undefined && shaper !== undefined);
    assert.deepEqual(main.env, {
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: sandboxId,
      CNI_NETNS: "/proc/1/ns/net",
      CNI_IFNAME: "eth0",
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=${sandboxId};K8S_POD_UID=uid-1`,
      CNI_PATH: `${join(dir, "empty-bin")}:${fake.binDir}`,
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    });
    assert.equal(main.conf.name, "fakenet");
    assert.equal(main.conf.cniVersion, "1.0.0");
    assert.equal(main.conf.prevResult, undefined, "the first plugin has no prevResult");
    assert.deepEqual(main.conf.runtimeConfig, {
      ipRanges: [[{ subnet: "10.200.0.0/16" }], [{ subnet: "fd00:200::/64" }]],
      dns: { servers: ["10.96.0.10"], searches: ["svc"], options: ["ndots:5"] },
    });
    assert.deepEqual(ports.conf.runtimeConfig, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] });
    assert.deepEqual(shaper.conf.runtimeConfig, { bandwidth: { egressRate: 1_000_000, egressBurst: 2147483647 } });
    const prev = ports.conf.prevResult as Record<string, unknown>; // the fake echoes JSON objects
    assert.deepEqual(prev.ips, [{ address: "fd00:200::5/64", interface: 1 }, { address: "10.200.0.5/24", interface: 1 }]);
    assert.deepEqual(shaper.conf.prevResult, ports.conf.prevResult);

    // The result is cached in libcni's layout.
    const cachePath = join(cacheDir, "results", `fakenet-${sandboxId}-eth0`);
    const cached = JSON.parse(await readFile(cachePath, "utf8")) as Record<string, unknown>; // our own cache file
    assert.equal(cached.kind, "cniCacheV1");
    assert.equal(cached.containerId, sandboxId);
    assert.equal(cached.ifName, "eth0");
    assert.equal(cached.networkName, "fakenet");
    assert.equal(cached.netns, "/proc/1/ns/net");
    const cachedConfig = JSON.parse(Buffer.from(String(cached.config), "base64").toString("utf8")) as Record<string, unknown>; // the list we wrote
    assert.equal(cachedConfig.name, "fakenet");
    assert.deepEqual((cached.result as Record<string, unknown>).ips, prev.ips);
    assert.deepEqual(cached.cniArgs, [["IgnoreUnknown", "1"], ["K8S_POD_NAMESPACE", "ns1"], ["K8S_POD_NAME", "web"], ["K8S_POD_INFRA_CONTAINER_ID", sandboxId], ["K8S_POD_UID", "uid-1"]]);
    assert.equal((await stat(cachePath)).mode & 0o777, 0o600);

    // CHECK: in order, each with the cached result.
    await fake.clearCalls();
    await plugin.checkPod(pod(), AbortSignal.timeout(20_000));
    const checks = await fake.calls();
    assert.deepEqual(checks.map((c) => `${c.type}:${c.command}`), ["fake-main:CHECK", "fake-ports:CHECK", "fake-shaper:CHECK"]);
    assert.deepEqual((checks[0]?.conf.prevResult as Record<string, unknown>).ips, prev.ips);
  });

  it("DEL after a restart: reverse order, cached prevResult, cached args and config even when the conf dir changed", async () => {
    await writeList("0.4.0");
    await newPlugin().setUpPod(pod(), AbortSignal.timeout(20_000));
    await fake.clearCalls();
    // "Restart": a new plugin object, the config replaced by another network, the netns gone.
    await writeFile(join(confDir, "10-fake.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "othernet", plugins: [{ type: "fake-main" }] }));
    const restarted = newPlugin({ podCidr: "" });
    await restarted.tearDownPod({ namespace: "", name: "", sandboxId, netnsPath: "", portMappings: [] }, AbortSignal.timeout(20_000));
    const dels = await fake.calls();
    assert.deepEqual(dels.map((c) => `${c.type}:${c.command}`), ["fake-shaper:DEL", "fake-ports:DEL", "fake-main:DEL"]);
    for (const d of dels) {
      assert.equal(d.conf.name, "fakenet", "the cached config, not the current one");
      assert.equal(d.env.CNI_NETNS, "", "never the cached netns path");
      assert.match(String(d.env.CNI_ARGS), /K8S_POD_NAME=web;.*K8S_POD_UID=uid-1/);
      assert.ok(d.conf.prevResult !== undefined, "0.4.0 DEL has the cached result");
    }
    assert.deepEqual(dels[1]?.conf.runtimeConfig, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] }, "cached capability args");
    await assert.rejects(stat(join(cacheDir, "results", `fakenet-${sandboxId}-eth0`)), "the cache record is removed after DEL");
    // A second teardown has nothing cached and was just done: no plugin runs.
    await fake.clearCalls();
    await restarted.tearDownPod({ namespace: "", name: "", sandboxId, netnsPath: "", portMappings: [] }, AbortSignal.timeout(20_000));
    assert.deepEqual(await fake.calls(), []);
  });

  it("0.3.1 DEL has no prevResult; 0.2.0 results (ip4/ip6) give the pod both IPs", async () => {
    await writeList("0.3.1");
    const p = newPlugin();
    await p.setUpPod(pod(), AbortSignal.timeout(20_000));
    await fake.clearCalls();
    await p.tearDownPod(pod(), AbortSignal.timeout(20_000));
    assert.ok((await fake.calls()).every((c) => c.conf.prevResult === undefined));

    await writeFile(join(confDir, "10-fake.conflist"), JSON.stringify({ cniVersion: "0.2.0", name: "old", type: "fake-main", fakeAddresses: ["10.200.0.9/24", "fd00:200::9/64"] }));
    await rm(join(confDir, "10-fake.conflist"));
    await writeFile(join(confDir, "10-fake.conf"), JSON.stringify({ cniVersion: "0.2.0", name: "old", type: "fake-main", fakeAddresses: ["10.200.0.9/24", "fd00:200::9/64"] }));
    const q = newPlugin();
    const r = await q.setUpPod(pod({ sandboxId: "b".repeat(64) }), AbortSignal.timeout(20_000));
    assert.deepEqual(r.ips, ["10.200.0.9", "fd00:200::9"]);
    await q.tearDownPod(pod({ sandboxId: "b".repeat(64) }), AbortSignal.timeout(20_000));
    await rm(join(confDir, "10-fake.conf"));
  });

  it("a failed ADD reports the plugin's error, keeps what DEL needs, and teardown then runs DEL", async () => {
    await writeList("1.0.0");
    await fake.fail("ADD", "fake-ports");
    const p = newPlugin();
    await assert.rejects(p.setUpPod(pod(), AbortSignal.timeout(20_000)), (err: unknown) => {
      assert.ok(hasKind(err, "Internal"), String(err));
      assert.match(err.message, /CNI plugin "fake-ports" ADD failed with CNI error 100: injected ADD failure \(from fake plugin fake-ports\)/);
      return true;
    });
    const cached = JSON.parse(await readFile(join(cacheDir, "results", `fakenet-${sandboxId}-eth0`), "utf8")) as Record<string, unknown>; // our own cache file
    assert.deepEqual((cached.result as Record<string, unknown>).ips, [{ address: "fd00:200::5/64", interface: 1 }, { address: "10.200.0.5/24", interface: 1 }], "the partial result of the plugins that succeeded");
    await fake.clearCalls();
    await p.tearDownPod(pod(), AbortSignal.timeout(20_000));
    const dels = await fake.calls();
    assert.deepEqual(dels.map((c) => `${c.type}:${c.command}`), ["fake-shaper:DEL", "fake-ports:DEL", "fake-main:DEL"]);
    assert.ok(dels.every((c) => c.conf.prevResult !== undefined), "the rollback's DEL has the partial result");

    // A failure of the first plugin leaves a record without a result: DEL still runs, without prevResult.
    await fake.reset();
    await fake.fail("ADD", "fake-main");
    await assert.rejects(p.setUpPod(pod(), AbortSignal.timeout(20_000)), /injected ADD failure/);
    const inFlight = JSON.parse(await readFile(join(cacheDir, "results", `fakenet-${sandboxId}-eth0`), "utf8")) as Record<string, unknown>; // our own cache file
    assert.equal(inFlight.result, undefined);
    await p.tearDownPod(pod(), AbortSignal.timeout(20_000));
    assert.ok((await fake.calls()).filter((c) => c.command === "DEL").every((c) => c.conf.prevResult === undefined));
  });

  it("a failing DEL keeps failing teardown, but removal gives up after three failures", async () => {
    await writeList("1.0.0");
    const p = newPlugin();
    await p.setUpPod(pod(), AbortSignal.timeout(20_000));
    await fake.fail("DEL", "fake-main");
    const ref = { namespace: "ns1", name: "web", sandboxId, netnsPath: "", portMappings: [] };
    await assert.rejects(p.tearDownPod(ref, AbortSignal.timeout(20_000)), /\(1 failed attempt\): CNI plugin "fake-main" DEL failed with CNI error 100: injected DEL failure/);
    await assert.rejects(p.tearDownPod(ref, AbortSignal.timeout(20_000), { removing: true }), /2 failed attempts/);
    await p.tearDownPod(ref, AbortSignal.timeout(20_000), { removing: true });
    // The record stays for a later GC or an operator.
    await stat(join(cacheDir, "results", `fakenet-${sandboxId}-eth0`));
    // Once the plugin works again, GC deletes the stale attachment.
    await fake.succeed("DEL", "fake-main");
    await fake.clearCalls();
    assert.deepEqual(await p.garbageCollect([], AbortSignal.timeout(20_000)), [`${sandboxId}/eth0`]);
    assert.deepEqual((await fake.calls()).map((c) => c.command), ["DEL", "DEL", "DEL"]);
    await assert.rejects(stat(join(cacheDir, "results", `fakenet-${sandboxId}-eth0`)));
  });

  it("1.1.0: STATUS decides readiness; GC passes the valid attachments", async () => {
    await writeList("1.1.0");
    const p = newPlugin();
    assert.equal((await p.status()).ready, true);
    assert.ok((await fake.calls()).some((c) => c.command === "STATUS" && c.conf.name === "fakenet" && c.env.CNI_CONTAINERID === ""));
    await fake.fail("STATUS", "fake-ports");
    const q = newPlugin();
    const s = await q.status();
    assert.equal(s.ready, false);
    assert.equal(s.reason, "NetworkPluginNotReady");
    assert.match(s.message, /10-fake.conflist: CNI plugin "fake-ports" STATUS failed with CNI error 100: injected STATUS failure/);
    await fake.succeed("STATUS", "fake-ports");

    await q.setUpPod(pod(), AbortSignal.timeout(20_000));
    await fake.clearCalls();
    assert.deepEqual(await q.garbageCollect([sandboxId], AbortSignal.timeout(20_000)), []);
    const gcs = (await fake.calls()).filter((c) => c.command === "GC");
    assert.equal(gcs.length, 3);
    assert.deepEqual(gcs[0]?.conf["cni.dev/valid-attachments"], [{ containerID: sandboxId, ifname: "eth0" }]);
    await q.tearDownPod(pod(), AbortSignal.timeout(20_000));
  });

  it("a hanging plugin is killed at the exec timeout (DeadlineExceeded)", async () => {
    await writeList("1.0.0");
    await fake.hang("ADD");
    const p = newPlugin({ execTimeoutMs: 500 });
    const started = Date.now();
    await assert.rejects(p.setUpPod(pod(), AbortSignal.timeout(20_000)), (err: unknown) => hasKind(err, "DeadlineExceeded") && /did not finish within 1 s and was killed/.test(err.message));
    assert.ok(Date.now() - started < 5_000);
    await rm(join(dir, "ctl", "hang-ADD"));
    // The cleanup's DEL runs with the suite's exec timeout: 500 ms is for the hanging ADD, and a fake
    // plugin (a node script) can take longer than that just to start on a loaded machine.
    await newPlugin().tearDownPod(pod(), AbortSignal.timeout(20_000));
  });

  it("setup without a usable config is Unavailable, naming the problem", async () => {
    await rm(join(confDir, "10-fake.conflist"), { force: true });
    await writeFile(join(confDir, "10-missing.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "n", plugins: [{ type: "not-installed" }] }));
    const p = newPlugin();
    await assert.rejects(p.setUpPod(pod(), AbortSignal.timeout(20_000)), (err: unknown) => hasKind(err, "Unavailable") && /needs CNI plugins not found .*: not-installed/.test(err.message));
    await rm(join(confDir, "10-missing.conflist"));
  });
});
