import type { DockerTransport } from "../../docker/index.js";
import type { Logger } from "../../logger/index.js";
import { listWritableLayerSizes, type StateCache } from "../../state-cache/index.js";
import { CgroupLocator, CgroupReader, CpuSampler, RecentUsage, WritableLayerSizes, loadReadFiles, type SampleTarget } from "../../cgroup-stats/index.js";
import { containerTypeContainer, containerTypeLabel } from "../translate/index.js";
import { isSandbox, podSampleKey, type StatsDeps } from "./stats-deps.js";

export interface StatsCollectorsOptions {
  /** The state cache the composition root owns: which containers run, and their cgroups. */
  readonly cache: StateCache;
  readonly transport: DockerTransport;
  readonly cgroupDriver: "cgroupfs" | "systemd";
  readonly dockerRootDir: string;
  readonly log: Logger;
  readonly requestTimeoutMs: number;
  /** CPU sampling period (usage_nano_cores window); default 5 s. */
  readonly sampleIntervalMs?: number;
  /** Writable layer measurement period; default 60 s. */
  readonly layerIntervalMs?: number;
  readonly procRoot?: string;
  /** How long one cgroup usage reading answers the stats RPCs (RecentUsage); default 1 s. */
  readonly usageWindowMs?: number;
}

/** What the stats RPCs read from: cgroup files, the CPU sampler, the writable layer sizes. */
export interface StatsCollectors {
  readonly stats: StatsDeps;
  /** Starts the CPU sampler and the layer measurements. */
  start(): void;
  stop(): Promise<void>;
}

/** Detects the host's cgroup layout and builds the stats readers over the state cache. */
export async function createStatsCollectors(opts: StatsCollectorsOptions): Promise<StatsCollectors> {
  const { cache, log } = opts;
  const addon = loadReadFiles();
  const readFiles = "readFiles" in addon ? addon.readFiles : undefined;
  const readValues = "readValues" in addon ? addon.readValues : undefined;
  if ("unavailable" in addon) log.warn({ reason: addon.unavailable }, "Stats reads will run on the event loop, delaying other calls while 100s of pods are read");
  const reader = await CgroupReader.detect(readValues === undefined ? {} : { readValues }).catch((err: unknown) => {
    log.warn({ err }, "Cannot read this host's cgroup layout: CPU and memory stats will be missing (is Docker remote?)");
    return new CgroupReader({ version: 2, unified: { mountPoint: "/nonexistent-cgroup", root: "/", controllers: [] } });
  });
  const procRoot = opts.procRoot ?? "/proc";
  const cgroups = new CgroupLocator(reader, opts.cgroupDriver, procRoot);
  const sampler = new CpuSampler({
    intervalMs: opts.sampleIntervalMs ?? 5_000,
    targets: () => sampleTargets(cache, cgroups),
    readUsage: (cgroup) => reader.cpuUsage(cgroup),
    readUsageMany: (cgroups) => reader.cpuUsageMany(cgroups),
    log: log.child({ component: "cpu-sampler" }),
  });
  const recentUsage = new RecentUsage({
    read: (cgroup) => reader.readUsage(cgroup),
    readMany: (cgroups) => reader.readUsageMany(cgroups),
    windowMs: opts.usageWindowMs ?? 1_000,
  });
  const layers = new WritableLayerSizes({
    load: (signal) => listWritableLayerSizes(opts.transport, `${containerTypeLabel}=${containerTypeContainer}`, signal, opts.requestTimeoutMs),
    intervalMs: opts.layerIntervalMs ?? 60_000,
    minIntervalMs: 10_000,
    timeoutMs: opts.requestTimeoutMs,
    log: log.child({ component: "writable-layers" }),
  });
  return {
    stats: { cache, cgroups, recentUsage, sampler, layers, dockerRootDir: opts.dockerRootDir, procRoot, readFiles },
    start() {
      sampler.start();
      layers.start();
    },
    async stop() {
      sampler.stop();
      reader.close();
      await layers.stop();
    },
  };
}

/** Every running container's cgroup and every pod cgroup; forgets the cgroups of containers gone. */
function sampleTargets(cache: StateCache, cgroups: CgroupLocator): SampleTarget[] {
  const out: SampleTarget[] = [];
  const live = new Set<string>();
  for (const c of cache.peekAll()) {
    if (!c.state.running) continue;
    live.add(c.id);
    const cgroup = cgroups.container({ id: c.id, cgroupParent: c.hostConfig.cgroupParent, pid: c.state.pid });
    if (cgroup !== undefined) out.push({ key: c.id, cgroup });
    if (isSandbox(c)) {
      const pod = cgroups.pod({ cgroupParent: c.hostConfig.cgroupParent });
      if (pod !== undefined) out.push({ key: podSampleKey(c.id), cgroup: pod });
    }
  }
  cgroups.retain(live);
  return out;
}
