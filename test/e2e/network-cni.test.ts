/**
 * Pod networking through CRI with --network-plugin=cni, against the real dockerd and Debian's real
 * CNI plugins (bridge, host-local, portmap, firewall, loopback) plus a fake pass-through plugin at the
 * end of the chain that fails ADD or DEL on demand. The bridge, subnets and host-local directory are
 * the run's own; everything is removed afterwards.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { PodSandboxState, RuntimeService } from "../../src/gen/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { CniPlugin } from "../../src/network/index.js";
import { isGrpcError, type CriClient } from "../kit/cri-client.js";
import type { Daemon } from "../kit/daemon.js";
import { dockerJson } from "../kit/docker-api.js";
import { allocatedIps, cniBinDir, deleteLink, haveCniPlugins, randomId, readFrom, skipWithoutPlugins, testSubnets } from "../kit/host-network.js";
import { writeFakePlugins, type FakePlugins } from "../fakes/fake-cni-plugin.js";
import { metricValue, runInPod, sandboxIps, startInPod } from "./network-fixture.js";
import { field, inspect, newRun, removeRunContainers, runContainers, runSandbox, startSandboxDaemon, type SandboxRun } from "../kit/sandbox-run.js";

const available = await haveCniPlugins();

describe("pod networking with CNI", { skip: available ? false : skipWithoutPlugins }, () => {
  const id = randomId();
  const bridge = `dcri${id}`;
  const network = `dcri-e2e-${id}`;
  const subnets = testSubnets();
  const hostPort = 30000 + (subnets.octet * 101 + Number.parseInt(id.slice(0, 2), 16)) % 1900;
  let dir: string;
  let confDir: string;
  let ipamDir: string;
  let rootDir: string;
  let fake: FakePlugins;
  let run: SandboxRun;
  let daemon: Daemon | undefined;
  let cri: CriClient;

  const confPath = () => join(confDir, "10-pods.conflist");
  const config = () =>
    JSON.stringify({
      cniVersion: "1.0.0",
      name: network,
      plugins: [
        {
          type: "bridge",
          bridge,
          isGateway: true,
          hairpinMode: true,
          ipam: { type: "host-local", dataDir: ipamDir, ranges: [[{ subnet: subnets.v4 }], [{ subnet: subnets.v6 }]], routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }] },
        },
        { type: "portmap", capabilities: { portMappings: true } },
        { type: "firewall" },
        { type: "dcri-fake" },
      ],
    });

  async function start(): Promise<void> {
    daemon = await startSandboxDaemon({
      args: ["--network-plugin=cni", `--cni-conf-dir=${confDir}`, `--cni-bin-dir=${cniBinDir},${fake.binDir}`, `--cni-cache-dir=${join(dir, "cache")}`, `--cri-dockerd-root-directory=${rootDir}`],
    });
    cri = daemon.client();
  }

  async function stopDaemon(): Promise<void> {
    if (daemon === undefined) return;
    await daemon.stop();
    await daemon.cleanup();
    daemon = undefined;
  }

  const stop = (podSandboxId: string) => cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId }, { deadlineMs: 60_000 });
  const remove = (podSandboxId: string) => cri.call(RuntimeService.method.removePodSandbox, { podSandboxId }, { deadlineMs: 60_000 });

  async function networkReady(): Promise<{ status: boolean; reason: string; message: string }> {
    const s = await cri.call(RuntimeService.method.status, {});
    const c = s.status?.conditions.find((x) => x.type === "NetworkReady");
    return { status: c?.status ?? false, reason: c?.reason ?? "", message: c?.message ?? "" };
  }

  before(async () => {
    run = newRun();
    dir = await mkdtemp(join(tmpdir(), "docker-cri-net-e2e-"));
    confDir = join(dir, "conf");
    ipamDir = join(dir, "ipam");
    rootDir = join(dir, "root");
    await mkdir(confDir);
    await mkdir(join(dir, "fakebin"));
    await mkdir(join(dir, "ctl"));
    fake = await writeFakePlugins(join(dir, "fakebin"), join(dir, "ctl"), ["dcri-fake"]);
    await start();
  });
  after(async () => {
    await stopDaemon();
    await removeRunContainers(run);
    await deleteLink(bridge);
    await rm(dir, { recursive: true, force: true });
  });

  it("reports NetworkReady false, naming the conf dir, until a config appears", async () => {
    const before = await networkReady();
    assert.equal(before.status, false);
    assert.equal(before.reason, "NetworkPluginNotReady");
    assert.match(before.message, new RegExp(`cni config uninitialized: no network config found in ${confDir}`));
    await writeFile(confPath(), config());
    let after = await networkReady();
    for (let i = 0; i < 50 && !after.status; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await networkReady();
    }
    assert.deepEqual(after, { status: true, reason: "", message: "" });
  });

  it("gives pods IPv4 and IPv6 from the CNI result; pods reach each other; a host port reaches a pod; teardown releases the addresses", async () => {
    const a = await runSandbox(cri, run.pod("net-a"));
    const b = await runSandbox(cri, run.pod("net-b", { portMappings: [{ containerPort: 8080, hostPort }] }));
    assert.equal(field(await inspect(a), "HostConfig", "NetworkMode"), "none", "Docker leaves the namespace to CNI");
    const ipsA = await sandboxIps(cri, a);
    const ipsB = await sandboxIps(cri, b);
    for (const s of [ipsA, ipsB]) {
      assert.equal(s.state, PodSandboxState.SANDBOX_READY);
      assert.equal(s.ips.length, 2, s.ips.join(", "));
      assert.ok(s.ips[0]?.startsWith(subnets.v4.replace(/0\/24$/, "")) === true, `IPv4 first: ${s.ips.join(", ")}`);
      assert.ok(s.ips[1]?.startsWith(subnets.v6.replace(/::\/64$/, ":")) === true, `then IPv6: ${s.ips.join(", ")}`);
    }
    // The IPs live in the checkpoint, not in Docker.
    const cp = JSON.parse(await readFile(join(rootDir, "sandbox", a), "utf8")) as { data: { pod_ips: string[]; network_plugin: string } }; // the sandbox checkpoint's JSON
    assert.deepEqual(cp.data.pod_ips, ipsA.ips);
    assert.equal(cp.data.network_plugin, "cni");
    assert.deepEqual(await allocatedIps(ipamDir, network), [...ipsA.ips, ...ipsB.ips].sort());
    // CNI_ARGS carried the pod's identity.
    const add = (await fake.calls()).find((c) => c.command === "ADD" && c.env.CNI_CONTAINERID === a);
    assert.match(String(add?.env.CNI_ARGS), new RegExp(`K8S_POD_NAMESPACE=docker-cri-test;K8S_POD_NAME=net-a-${run.runId};K8S_POD_INFRA_CONTAINER_ID=${a};K8S_POD_UID=`));
    assert.equal(add?.env.CNI_NETNS, `/proc/${String(field(await inspect(a), "State", "Pid"))}/ns/net`);

    // A server in pod B; pod A reaches it (v4 TCP, v6 ping), and so does the node through the host port.
    const server = await startInPod(run, b, ["nc", "-ll", "-p", "8080", "-e", "echo", `hello-${id}`]);
    let fromA = { code: 1, output: "" };
    for (let i = 0; i < 20 && !fromA.output.includes(id); i++) {
      fromA = await runInPod(run, a, ["nc", "-w", "3", ipsB.ips[0] ?? "", "8080"]);
    }
    assert.equal(fromA.output.trim(), `hello-${id}`);
    const ping6 = await runInPod(run, a, ["ping", "-c", "1", "-W", "3", ipsB.ips[1] ?? ""]);
    assert.equal(ping6.code, 0, ping6.output);
    assert.equal((await readFrom("127.0.0.1", hostPort)).trim(), `hello-${id}`);
    await dockerJson({ method: "DELETE", path: `/containers/${server}`, query: { force: "1" } });

    await stop(a);
    await stop(b);
    assert.equal((await sandboxIps(cri, a)).state, PodSandboxState.SANDBOX_NOTREADY);
    assert.deepEqual(await allocatedIps(ipamDir, network), [], "host-local released both pods' addresses");
    assert.deepEqual(await readdir(join(dir, "cache", "results")), [], "no cached attachment left");
    await assert.rejects(readFrom("127.0.0.1", hostPort, 2_000), "the host port is gone");
    await remove(a);
    await remove(b);
    assert.ok((await metricValue(daemon as Daemon, "network_plugin_operations_total", 'operation_type="set_up_pod"')) >= 2);
    assert.ok((await metricValue(daemon as Daemon, "network_plugin_operations_total", 'operation_type="tear_down_pod"')) >= 2);
    assert.ok((await metricValue(daemon as Daemon, "network_plugin_operations_duration_seconds_count", 'operation_type="set_up_pod"')) >= 2);
  });

  it("a failed ADD rolls back: DEL runs, no address stays allocated, no container is left", async () => {
    const errorsBefore = await metricValue(daemon as Daemon, "network_plugin_operations_errors_total", 'operation_type="set_up_pod"');
    await fake.reset();
    await fake.fail("ADD");
    try {
      await assert.rejects(runSandbox(cri, run.pod("net-fail-add")), (err: unknown) => isGrpcError(err, grpcStatus.INTERNAL, /CNI plugin "dcri-fake" ADD failed with CNI error 100: injected ADD failure/));
    } finally {
      await fake.succeed("ADD");
    }
    const calls = await fake.calls();
    const failedId = calls.find((c) => c.command === "ADD")?.env.CNI_CONTAINERID ?? "";
    assert.ok(calls.some((c) => c.command === "DEL" && c.env.CNI_CONTAINERID === failedId), "rollback ran DEL");
    assert.deepEqual(await allocatedIps(ipamDir, network), [], "the bridge plugin's address was released");
    assert.equal(await inspect(failedId), undefined, "the sandbox container was removed");
    assert.equal((await metricValue(daemon as Daemon, "network_plugin_operations_errors_total", 'operation_type="set_up_pod"')) - errorsBefore, 1);
  });

  it("a failing DEL keeps the sandbox NOTREADY and StopPodSandbox failing until DEL works", async () => {
    await fake.reset();
    const p = await runSandbox(cri, run.pod("net-fail-del"));
    const [ip] = (await sandboxIps(cri, p)).ips;
    await fake.fail("DEL");
    try {
      await assert.rejects(stop(p), (err: unknown) => isGrpcError(err, grpcStatus.INTERNAL, /Cannot tear down the network of sandbox .*injected DEL failure/));
      assert.equal((await sandboxIps(cri, p)).state, PodSandboxState.SANDBOX_NOTREADY, "the sandbox was stopped anyway");
      assert.ok((await allocatedIps(ipamDir, network)).includes(ip ?? ""), "the address is still held");
      await assert.rejects(stop(p), /2 failed attempts/);
    } finally {
      await fake.succeed("DEL");
    }
    await stop(p);
    assert.deepEqual(await allocatedIps(ipamDir, network), [], "the kubelet's retry released it");
    await remove(p);
    assert.ok((await metricValue(daemon as Daemon, "network_plugin_operations_errors_total", 'operation_type="tear_down_pod"')) >= 2);
  });

  it("a DEL that never works does not block RemovePodSandbox forever", async () => {
    await fake.reset();
    const p = await runSandbox(cri, run.pod("net-del-stuck"));
    await fake.fail("DEL");
    try {
      await assert.rejects(stop(p), /1 failed attempt/);
      await assert.rejects(remove(p), /2 failed attempts/);
      await remove(p);
      assert.equal(await inspect(p), undefined, "removed after the third failed DEL");
      const list = await cri.call(RuntimeService.method.listPodSandbox, { filter: { id: p } });
      assert.equal(list.items.length, 0);
    } finally {
      await fake.succeed("DEL");
    }
    // The give-up left the address and the cache record; a CNI GC (here in-process, on the same
    // cache) deletes the stale attachment with the real plugins once DEL works again.
    const cache = await readdir(join(dir, "cache", "results"));
    assert.deepEqual(cache.filter((f) => f.includes(p)), [`${network}-${p}-eth0`], "the failed attachment's record stays for a later GC (lo's DEL worked)");
    assert.equal((await allocatedIps(ipamDir, network)).length, 2);
    const gc = new CniPlugin(
      { pluginName: "cni", confDir, binDirs: [cniBinDir, fake.binDir], cacheDir: join(dir, "cache"), mtu: 0, hairpinMode: "hairpin-veth", nonMasqueradeCidr: "10.0.0.0/8", podCidr: "" },
      silentLogger(),
    );
    try {
      assert.deepEqual(await gc.garbageCollect([], AbortSignal.timeout(60_000)), [`${p}/eth0`]);
    } finally {
      gc.close();
    }
    assert.deepEqual(await allocatedIps(ipamDir, network), []);
  });

  it("teardown after the sandbox container vanished behind our back still runs DEL", async () => {
    await fake.reset();
    const p = await runSandbox(cri, run.pod("net-vanished"));
    assert.equal((await allocatedIps(ipamDir, network)).length, 2);
    await dockerJson({ method: "DELETE", path: `/containers/${p}`, query: { force: "1" } });
    assert.equal((await sandboxIps(cri, p)).state, PodSandboxState.SANDBOX_NOTREADY);
    await stop(p);
    assert.deepEqual(await allocatedIps(ipamDir, network), [], "DEL from the checkpoint and cache released the addresses");
    const del = (await fake.calls()).find((c) => c.command === "DEL" && c.env.CNI_CONTAINERID === p);
    assert.ok(del !== undefined);
    assert.equal(del.env.CNI_NETNS, "", "no namespace left to name");
    assert.match(String(del.env.CNI_ARGS), new RegExp(`K8S_POD_NAME=net-vanished-${run.runId}`));
    await remove(p);
  });

  it("a restart of docker-cri between setup and teardown leaks no IP, even with the config gone", async () => {
    await fake.reset();
    const p = await runSandbox(cri, run.pod("net-restart"));
    const { ips } = await sandboxIps(cri, p);
    assert.deepEqual(await allocatedIps(ipamDir, network), [...ips].sort());
    await stopDaemon();
    await rm(confPath());
    await start();
    assert.equal((await networkReady()).status, false);
    // The restarted daemon still reports the pod's IPs (from the checkpoint).
    assert.deepEqual((await sandboxIps(cri, p)).ips, ips);
    await stop(p);
    assert.deepEqual(await allocatedIps(ipamDir, network), [], "DEL from the cache released the addresses");
    const dels = (await fake.calls()).filter((c) => c.command === "DEL" && c.env.CNI_CONTAINERID === p);
    assert.equal(dels.length, 1);
    assert.equal(dels[0]?.conf.name, network, "the cached config drove DEL");
    await remove(p);
    assert.ok(!(await runContainers(run)).includes(p));
    await writeFile(confPath(), config());
  });
});
