/**
 * --network-plugin=kubenet through CRI against the real dockerd and Debian's CNI plugins: not ready
 * without a pod CIDR, then dual-stack pods from the CIDRs the kubelet sends with UpdateRuntimeConfig,
 * reachable from each other, with the host's MTU, and every address released on teardown.
 *
 * kubenet's bridge is the node's `cbr0` and host-local keeps its allocations in
 * /var/lib/cni/networks/kubenet, as on a real node, so this file holds a host-wide lock, skips when
 * a cbr0 it did not make exists (a real kubenet node), and removes the bridge, its host rules and
 * its own allocation files afterwards. Subnets are the run's own.
 */
import assert from "node:assert/strict";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PodSandboxState, RuntimeService } from "../../src/gen/index.js";
import { detectMtu } from "../../src/network/kubenet/detect-mtu.js";
import { kubenetHostRules, removeHostRules } from "../../src/network/kubenet/kubenet-host-rules.js";
import type { CriClient } from "../kit/cri-client.js";
import type { Daemon } from "../kit/daemon.js";
import { withFileLock } from "../kit/file-lock.js";
import { allocatedIps, cniBinDir, deleteLink, haveCniPlugins, linkExists, skipWithoutPlugins, testSubnets } from "../kit/host-network.js";
import { metricValue, runInPod, sandboxIps } from "./network-fixture.js";
import { newRun, removeRunContainers, runSandbox, startSandboxDaemon, type SandboxRun } from "../kit/sandbox-run.js";

const ipamRoot = "/var/lib/cni/networks";
const available = await haveCniPlugins();
const foreignBridge = await linkExists("cbr0");
const skip = !available ? skipWithoutPlugins : foreignBridge ? "a cbr0 bridge exists (a real kubenet node?); not touching it" : false;

describe("pod networking with kubenet", { skip }, () => {
  const subnets = testSubnets();
  const podCidr = `${subnets.v4},${subnets.v6}`;
  let dir: string;
  let run: SandboxRun;
  let daemon: Daemon | undefined;
  let cri: CriClient;
  let ipamExisted = true;
  let releaseLock: (() => void) | undefined;
  let lockHeld: Promise<void> | undefined;

  before(async () => {
    // One kubenet test on the host at a time: they share cbr0.
    await new Promise<void>((acquired, failed) => {
      lockHeld = withFileLock(join(tmpdir(), "docker-cri-test-kubenet.lock"), () => {
        acquired();
        return new Promise<void>((r) => { releaseLock = r; });
      }).catch(failed);
    });
    ipamExisted = await access(join(ipamRoot, "kubenet")).then(() => true, () => false);
    run = newRun();
    dir = await mkdtemp(join(tmpdir(), "docker-cri-kubenet-e2e-"));
    daemon = await startSandboxDaemon({ args: ["--network-plugin=kubenet", `--cni-bin-dir=${cniBinDir}`, `--cni-cache-dir=${join(dir, "cache")}`] });
    cri = daemon.client();
  });
  after(async () => {
    if (daemon !== undefined) {
      await daemon.stop();
      await daemon.cleanup();
    }
    await removeRunContainers(run);
    await removeHostRules(kubenetHostRules({ bridgeName: "cbr0", podCidrs: [subnets.v4, subnets.v6], nonMasqueradeCidr: "10.0.0.0/8" }), AbortSignal.timeout(30_000));
    await deleteLink("cbr0");
    if (!ipamExisted) await rm(join(ipamRoot, "kubenet"), { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
    releaseLock?.();
    await lockHeld;
  });

  it("is not ready until UpdateRuntimeConfig gives it a pod CIDR", async () => {
    const ready = async () => (await cri.call(RuntimeService.method.status, {})).status?.conditions.find((c) => c.type === "NetworkReady");
    const before = await ready();
    assert.ok(before !== undefined);
    assert.equal(before.status, false);
    assert.equal(before.reason, "NetworkPluginNotReady");
    assert.match(before.message, /lack of PodCIDR/);
    await cri.call(RuntimeService.method.updateRuntimeConfig, { runtimeConfig: { networkConfig: { podCidr } } });
    assert.equal((await ready())?.status, true);
  });

  it("gives pods dual-stack addresses on cbr0 with the host's MTU; they reach each other; teardown releases the addresses", async () => {
    const a = await runSandbox(cri, run.pod("kn-a"));
    const b = await runSandbox(cri, run.pod("kn-b"));
    const ipsA = (await sandboxIps(cri, a)).ips;
    const ipsB = (await sandboxIps(cri, b)).ips;
    for (const ips of [ipsA, ipsB]) {
      assert.ok(ips[0]?.startsWith(subnets.v4.replace(/0\/24$/, "")) === true && ips[1]?.startsWith(subnets.v6.replace(/::\/64$/, ":")) === true, `from ${podCidr}: ${ips.join(", ")}`);
    }
    assert.ok(await linkExists("cbr0"));
    const mine = async () => (await allocatedIps(ipamRoot, "kubenet")).filter((ip) => ip.startsWith(subnets.v4.replace(/0\/24$/, "")) || ip.startsWith(subnets.v6.replace(/::\/64$/, ":")));
    assert.deepEqual(await mine(), [...ipsA, ...ipsB].sort());

    const mtu = await runInPod(run, a, ["cat", "/sys/class/net/eth0/mtu"]);
    assert.equal(mtu.output.trim(), String((await detectMtu()).mtu));
    const ping4 = await runInPod(run, a, ["ping", "-c", "1", "-W", "3", ipsB[0] ?? ""]);
    assert.equal(ping4.code, 0, ping4.output);
    const ping6 = await runInPod(run, a, ["ping", "-c", "1", "-W", "3", ipsB[1] ?? ""]);
    assert.equal(ping6.code, 0, ping6.output);

    for (const id of [a, b]) {
      await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: id }, { deadlineMs: 60_000 });
      assert.equal((await sandboxIps(cri, id)).state, PodSandboxState.SANDBOX_NOTREADY);
      await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: id }, { deadlineMs: 60_000 });
    }
    assert.deepEqual(await mine(), [], "no address of this run is still allocated");
    assert.ok((await metricValue(daemon as Daemon, "network_plugin_operations_total", 'operation_type="set_up_pod"')) >= 2);
  });
});
