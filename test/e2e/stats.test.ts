/**
 * Container and pod stats end to end: a pod running a known memory and CPU load, its numbers checked
 * against the kernel's cgroup files read independently (test/kit/cgroup-kit.ts), the pod network
 * against /proc/<pid>/net/dev, filters, a pod with its own cgroup parent (as the kubelet runs them),
 * the cAdvisor metrics, and the writable layer.
 */
import { strict as assert } from "node:assert";
import { readFileSync, rmdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { status } from "@grpc/grpc-js";
import { ContainerState, RuntimeService } from "../../src/gen/index.js";
import { same, sameDeep } from "../kit/assert.js";
import { cgroupDirNamed, dirsNamed, dirsOfPid, readCounters, within } from "../kit/cgroup-kit.js";
import { isGrpcError } from "../kit/cri-client.js";
import { dockerJson, isRecord } from "../kit/docker-api.js";
import { waitFor } from "../kit/wait-for.js";
import { field, inspect, startContainerRun, type ContainerRun } from "./container-fixture.js";

const MiB = 1024n * 1024n;
/** Memory and CPU busy: 40 MiB in the pod's /dev/shm (tmpfs, charged to the writer), then a core of dd. */
const loadCommand = ["sh", "-c", "head -c 40m /dev/zero > /dev/shm/fill-$$ && exec dd if=/dev/zero of=/dev/null bs=64k"];

let r: ContainerRun;
before(async () => {
  r = await startContainerRun();
});
after(async () => {
  await r.close();
});

async function pidOf(id: string): Promise<number> {
  return Number(field(await inspect(id), "State", "Pid"));
}


function netDev(pid: number, iface: string): { rx: bigint; tx: bigint } {
  const line = readFileSync(`/proc/${pid}/net/dev`, "utf8").split("\n").find((l) => l.trim().startsWith(`${iface}:`)) ?? "";
  const f = line.split(":")[1]?.trim().split(/\s+/) ?? [];
  return { rx: BigInt(f[0] ?? "0"), tx: BigInt(f[8] ?? "0") };
}

describe("stats", () => {
  it("ContainerStats and PodSandboxStats match the cgroup files for a known memory and CPU load", async () => {
    const pod = await r.pod("load");
    const id = await r.run(pod, r.container("load", { command: loadCommand }));
    const dirs = dirsOfPid(await pidOf(id));
    await waitFor("40 MiB charged to the container", () => readCounters(dirs).usage >= 40n * MiB, { timeoutMs: 20_000, intervalMs: 200 });

    const before1 = readCounters(dirs);
    const res = await r.cri.call(RuntimeService.method.containerStats, { containerId: id });
    const after1 = readCounters(dirs);
    const s = res.stats;
    assert.ok(s?.memory !== undefined && s.cpu !== undefined);
    same(s.attributes?.id, id);
    same(s.attributes?.metadata?.name, "load");
    within(s.memory.usageBytes?.value, before1.usage, after1.usage, MiB, "usage_bytes");
    within(s.memory.workingSetBytes?.value, before1.workingSet, after1.workingSet, MiB, "working_set_bytes");
    assert.ok((s.memory.workingSetBytes?.value ?? 0n) >= 40n * MiB, "the tmpfs data is in the working set");
    within(s.memory.rssBytes?.value, before1.rss, after1.rss, MiB, "rss_bytes");
    within(s.cpu.usageCoreNanoSeconds?.value, before1.cpuNs, after1.cpuNs, 0n, "usage_core_nano_seconds");
    assert.ok(s.memory.timestamp > 0n && s.cpu.timestamp > 0n);

    // usage_nano_cores comes from the sampler (a 5 s window): dd keeps one core busy, but this
    // machine is shared, so only a broad range is asserted, and checked against the files' own rate.
    const cores = await waitFor("usage_nano_cores", async () => (await r.cri.call(RuntimeService.method.containerStats, { containerId: id })).stats?.cpu?.usageNanoCores?.value, { timeoutMs: 15_000, intervalMs: 200 });
    const t0 = readCounters(dirs).cpuNs;
    await sleep(2000);
    const fileRate = Number(readCounters(dirs).cpuNs - t0) / 2;
    assert.ok(cores > 200_000_000n && cores < 1_100_000_000n, `usage_nano_cores ${cores} is not about one core`);
    assert.ok(Number(cores) > fileRate * 0.4 && Number(cores) < fileRate * 2.5, `usage_nano_cores ${cores} vs the files' ${fileRate.toFixed(0)}/s`);

    // The pod: no cgroup parent of its own here, so its totals are the sum of sandbox and container.
    const sandboxDirs = dirsOfPid(await pidOf(pod.id));
    const sandboxPid = await pidOf(pod.id);
    const netBefore = netDev(sandboxPid, "eth0");
    const podBefore = [readCounters(dirs), readCounters(sandboxDirs)];
    const ps = (await r.cri.call(RuntimeService.method.podSandboxStats, { podSandboxId: pod.id })).stats;
    const podAfter = [readCounters(dirs), readCounters(sandboxDirs)];
    const netAfter = netDev(sandboxPid, "eth0");
    const sum = (xs: typeof podBefore, k: "usage" | "pids") => xs.reduce((n, x) => n + x[k], 0n);
    same(ps?.attributes?.id, pod.id);
    same(ps?.attributes?.metadata?.uid, pod.config.metadata?.uid);
    within(ps?.linux?.memory?.usageBytes?.value, sum(podBefore, "usage"), sum(podAfter, "usage"), MiB, "pod usage_bytes");
    within(ps?.linux?.process?.processCount?.value, sum(podBefore, "pids"), sum(podAfter, "pids"), 0n, "pod process_count");
    sameDeep(ps?.linux?.containers.map((c) => c.attributes?.id), [id]);
    same(ps?.linux?.network?.defaultInterface?.name, "eth0");
    within(ps?.linux?.network?.defaultInterface?.rxBytes?.value, netBefore.rx, netAfter.rx, 0n, "eth0 rx_bytes");
    within(ps?.linux?.network?.defaultInterface?.txBytes?.value, netBefore.tx, netAfter.tx, 0n, "eth0 tx_bytes");
    assert.ok(!(ps?.linux?.network?.interfaces ?? []).some((i) => i.name === "lo"), "loopback is not pod traffic");
    await r.cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 0n });
  });

  it("ListContainerStats and ListPodSandboxStats asked together share one reading, timestamped when it was taken", async () => {
    const pod = await r.pod("shared");
    const id = await r.run(pod, r.container("busy", { command: ["sh", "-c", "while :; do :; done"] }));
    const dirs = dirsOfPid(await pidOf(id));
    await waitFor("the busy loop to use CPU", () => readCounters(dirs).cpuNs > 50_000_000n, { timeoutMs: 20_000, intervalMs: 200 });
    const filter = { labelSelector: r.sandbox.selector };
    const cpuOf = async () => {
      const [list, pods] = await Promise.all([
        r.cri.call(RuntimeService.method.listContainerStats, { filter: { id } }),
        r.cri.call(RuntimeService.method.listPodSandboxStats, { filter: { ...filter, id: pod.id } }),
      ]);
      const own = list.stats.find((s) => s.attributes?.id === id)?.cpu;
      const inPod = pods.stats[0]?.linux?.containers.find((c) => c.attributes?.id === id)?.cpu;
      assert.ok(own !== undefined && inPod !== undefined, "both answers carry the container's CPU");
      return { own, inPod };
    };
    const before = BigInt(Date.now()) * 1_000_000n;
    const first = await cpuOf();
    // A busy loop's counter moves every tick: equal values mean one reading served both calls.
    same(first.inPod.usageCoreNanoSeconds?.value, first.own.usageCoreNanoSeconds?.value);
    same(first.inPod.timestamp, first.own.timestamp);
    assert.ok(first.own.timestamp >= before - 1_000_000n, "the reading is this call's, not an older one");
    await sleep(1_200);
    const second = await cpuOf();
    assert.ok(second.own.timestamp >= first.own.timestamp + 1_000_000_000n, "a reading older than its 1 s window is not served again");
    assert.ok((second.own.usageCoreNanoSeconds?.value ?? 0n) > (first.own.usageCoreNanoSeconds?.value ?? 0n), "the new reading has the loop's new CPU time");
    await r.cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 0n });
  });

  it("uses the pod's own cgroup when the sandbox has a cgroup parent", async () => {
    const parent = `/docker-cri-stats-${r.sandbox.runId}`;
    const pod = await r.pod("parent", { linux: { cgroupParent: parent } });
    const id = await r.run(pod, r.container("parent", { command: ["sh", "-c", "head -c 8m /dev/zero > /dev/shm/p-$$ && sleep 600"] }));
    try {
      same(field(await inspect(id), "HostConfig", "CgroupParent"), parent);
      const podDirs = dirsNamed(parent);
      await waitFor("the container's 8 MiB", () => readCounters(podDirs).usage >= 8n * MiB, { timeoutMs: 10_000, intervalMs: 200 });
      const a = readCounters(podDirs);
      const ps = (await r.cri.call(RuntimeService.method.podSandboxStats, { podSandboxId: pod.id })).stats;
      const b = readCounters(podDirs);
      within(ps?.linux?.memory?.usageBytes?.value, a.usage, b.usage, MiB, "pod cgroup usage_bytes");
      within(ps?.linux?.cpu?.usageCoreNanoSeconds?.value, a.cpuNs, b.cpuNs, 0n, "pod cgroup CPU");
      within(ps?.linux?.process?.processCount?.value, a.pids, b.pids, 0n, "pod cgroup pids");
    } finally {
      await r.cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: pod.id });
      // Docker creates a cgroupfs parent but never removes it.
      for (const c of ["cpu", "cpuacct", "memory", "pids", "blkio", "cpuset", "devices", "freezer", "net_cls", "perf_event", "hugetlb", "net_prio", "rdma", "misc", "systemd", "unified"]) {
        try {
          rmdirSync(cgroupDirNamed(parent, c));
        } catch {
          // not mounted here, or already gone
        }
      }
    }
  });

  it("ListContainerStats lists running containers only, filtered by id, sandbox and labels", async () => {
    const a = await r.pod("fa");
    const b = await r.pod("fb");
    const a1 = await r.run(a, r.container("a1", { labels: { tier: "x" } }));
    const a2 = await r.run(a, r.container("a2", { command: ["true"] }));
    const b1 = await r.run(b, r.container("b1"));
    await r.waitFor(a2, ContainerState.CONTAINER_EXITED);
    const ids = async (filter: Record<string, unknown>) =>
      (await r.cri.call(RuntimeService.method.listContainerStats, { filter })).stats.map((s) => s.attributes?.id ?? "").filter((i) => [a1, a2, b1].includes(i)).sort();
    sameDeep(await ids({}), [a1, b1].sort());
    sameDeep(await ids({ podSandboxId: a.id }), [a1]);
    sameDeep(await ids({ podSandboxId: b.id.slice(0, 12) }), [b1]);
    sameDeep(await ids({ id: b1.slice(0, 10) }), [b1]);
    sameDeep(await ids({ labelSelector: { tier: "x", ...r.sandbox.selector } }), [a1]);
    sameDeep(await ids({ id: a1, podSandboxId: b.id }), []);
    const exited = (await r.cri.call(RuntimeService.method.containerStats, { containerId: a2 })).stats;
    same(exited?.attributes?.id, a2);
    same(exited?.cpu, undefined, "an exited container has no cgroup");
    await assert.rejects(r.cri.call(RuntimeService.method.containerStats, { containerId: "0".repeat(64) }), (e: unknown) => isGrpcError(e, status.NOT_FOUND));
    await assert.rejects(r.cri.call(RuntimeService.method.containerStats, { containerId: a.id }), (e: unknown) => isGrpcError(e, status.NOT_FOUND), "a sandbox is not a container");
    await assert.rejects(r.cri.call(RuntimeService.method.containerStats, { containerId: "" }), (e: unknown) => isGrpcError(e, status.INVALID_ARGUMENT));
    await assert.rejects(r.cri.call(RuntimeService.method.podSandboxStats, { podSandboxId: a1 }), (e: unknown) => isGrpcError(e, status.NOT_FOUND));
    const pods = (await r.cri.call(RuntimeService.method.listPodSandboxStats, { filter: { labelSelector: r.sandbox.selector } })).stats.map((s) => s.attributes?.id);
    assert.ok(pods.includes(a.id) && pods.includes(b.id));
    const onlyA = (await r.cri.call(RuntimeService.method.listPodSandboxStats, { filter: { id: a.id } })).stats;
    sameDeep(onlyA.map((s) => s.attributes?.id), [a.id]);
    sameDeep(onlyA[0]?.linux?.containers.map((c) => c.attributes?.id), [a1], "only running containers");
  });

  it("serves cAdvisor metrics that agree with the stats", async () => {
    const pod = await r.pod("metrics");
    const id = await r.run(pod, r.container("m", { command: ["sh", "-c", "head -c 16m /dev/zero > /dev/shm/m-$$ && sleep 600"] }));
    const dirs = dirsOfPid(await pidOf(id));
    await waitFor("16 MiB", () => readCounters(dirs).usage >= 16n * MiB, { timeoutMs: 10_000, intervalMs: 200 });
    const descriptors = (await r.cri.call(RuntimeService.method.listMetricDescriptors, {})).descriptors;
    const keys = new Map(descriptors.map((d) => [d.name, d.labelKeys]));
    for (const name of ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "container_memory_rss", "container_network_receive_bytes_total", "container_network_transmit_bytes_total", "container_processes", "container_threads", "container_oom_events_total"]) {
      assert.ok(keys.has(name), `${name} is described`);
    }
    sameDeep(keys.get("container_network_receive_bytes_total"), ["container", "id", "image", "name", "namespace", "pod", "interface"]);
    const podMetrics = (await r.cri.call(RuntimeService.method.listPodSandboxMetrics, {})).podMetrics.find((p) => p.podSandboxId === pod.id);
    assert.ok(podMetrics !== undefined);
    for (const m of [...podMetrics.metrics, ...podMetrics.containerMetrics.flatMap((c) => c.metrics)]) {
      same(m.labelValues.length, keys.get(m.name)?.length, `${m.name} has one value per label key`);
    }
    const rx = podMetrics.metrics.find((m) => m.name === "container_network_receive_bytes_total");
    sameDeep([rx?.labelValues[0], rx?.labelValues[4], rx?.labelValues[5], rx?.labelValues[6]], ["", "docker-cri-test", pod.config.metadata?.name, "eth0"]);
    const c = podMetrics.containerMetrics.find((x) => x.containerId === id);
    const ws = c?.metrics.find((m) => m.name === "container_memory_working_set_bytes");
    same(ws?.labelValues[0], "m");
    const files = readCounters(dirs);
    within(ws?.value?.value, files.workingSet, files.workingSet, 2n * MiB, "container_memory_working_set_bytes");
    same(c?.metrics.find((m) => m.name === "container_processes")?.value?.value, 1n);
  });

  it("reports the writable layer, measured in the background", async () => {
    const pod = await r.pod("layer");
    const id = await r.run(pod, r.container("layer", { command: ["sh", "-c", "head -c 3m /dev/zero > /big && sleep 600"] }));
    await waitFor("the file", async () => (await r.exec(id, ["ls", "/big"])).exitCode === 0, { timeoutMs: 10_000, intervalMs: 200 });
    const layer = await waitFor("a writable layer of 3 MiB", async () => {
      const w = (await r.cri.call(RuntimeService.method.containerStats, { containerId: id })).stats?.writableLayer;
      return (w?.usedBytes?.value ?? 0n) >= 3n * MiB ? w : undefined;
    }, { timeoutMs: 40_000, intervalMs: 200 });
    // Docker's root directory: /var/lib/docker for the system engine, a temp directory for a private one.
    const info = await dockerJson({ method: "GET", path: "/info" });
    same(layer.fsId?.mountpoint, isRecord(info) ? info.DockerRootDir : undefined);
    assert.ok(layer.timestamp > 0n);
  });
});
