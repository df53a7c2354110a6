import type { ContainersApi, DockerClientOptions, DockerTransport } from "../../docker/index.js";
import type { Logger } from "../../logger/index.js";
import { CachedContainersApi, listWritableLayerSizes, StateCache } from "../../state-cache/index.js";
import { CgroupLocator, CgroupReader, CpuSampler, WritableLayerSizes, type SampleTarget } from "../../cgroup-stats/index.js";
import { containerTypeContainer, containerTypeLabel, sandboxIdLabel } from "../translate/index.js";
import { isSandbox, podSampleKey, type StatsDeps } from "./stats-deps.js";

export interface StatsRuntimeOptions {
  readonly transport: DockerTransport;
  readonly dockerOptions: DockerClientOptions;
  /** Docker's container endpoints, uncached. */
  readonly containers: ContainersApi;
  readonly cgroupDriver: "cgroupfs" | "systemd";
  readonly dockerRootDir: string;
  readonly log: Logger;
  readonly requestTimeoutMs: number;
  /** CPU sampling period (usage_nano_cores window); default 5 s. */
  readonly sampleIntervalMs?: number;
  /** Writable layer measurement period; default 60 s. */
  readonly layerIntervalMs?: number;
  /** How long start-up waits for the first cache sync before serving from Docker meanwhile; default 30 s. */
  readonly firstSyncTimeoutMs?: number;
  readonly procRoot?: string;
  /** Runs before each reconnect of the cache's event stream (see StateCacheOptions.beforeReconnect). */
  readonly beforeReconnect?: (signal: AbortSignal) => Promise<void>;
}

/** The state cache, the cached container API the other families use, and the stats readers. */
export interface StatsRuntime {
  readonly cache: StateCache;
  /** A drop-in ContainersApi whose list and inspect come from the cache. */
  readonly containers: CachedContainersApi;
  readonly stats: StatsDeps;
  /** Syncs the cache (bounded wait), then starts the CPU sampler and the layer measurements. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function createStatsRuntime(opts: StatsRuntimeOptions): Promise<StatsRuntime> {
  const log = opts.log;
  const cache = new StateCache({
    transport: opts.transport,
    containers: opts.containers,
    label: containerTypeLabel,
    log: log.child({ component: "state-cache" }),
    inspectTimeoutMs: Math.min(opts.requestTimeoutMs, 5_000),
    ...(opts.beforeReconnect === undefined ? {} : { beforeReconnect: opts.beforeReconnect }),
  });
  const containers = new CachedContainersApi(opts.transport, opts.dockerOptions, cache, containerTypeLabel, [sandboxIdLabel]);
  const reader = await CgroupReader.detect().catch((err: unknown) => {
    log.warn({ err }, "Cannot read this host's cgroup layout: CPU and memory stats will be missing (is Docker remote?)");
    return new CgroupReader({ version: 2, unified: { mountPoint: "/nonexistent-cgroup", root: "/", controllers: [] } });
  });
  const procRoot = opts.procRoot ?? "/proc";
  const cgroups = new CgroupLocator(reader, opts.cgroupDriver, procRoot);
  const sampler = new CpuSampler({
    intervalMs: opts.sampleIntervalMs ?? 5_000,
    targets: () => sampleTargets(cache, cgroups),
    readUsage: (cgroup) => reader.cpuUsage(cgroup),
    log: log.child({ component: "cpu-sampler" }),
  });
  const layers = new WritableLayerSizes({
    load: (signal) => listWritableLayerSizes(opts.transport, `${containerTypeLabel}=${containerTypeContainer}`, signal, opts.requestTimeoutMs),
    intervalMs: opts.layerIntervalMs ?? 60_000,
    minIntervalMs: 10_000,
    timeoutMs: opts.requestTimeoutMs,
    log: log.child({ component: "writable-layers" }),
  });
  return {
    cache,
    containers,
    stats: { cache, cgroups, sampler, layers, dockerRootDir: opts.dockerRootDir, procRoot },
    async start() {
      const timeout = opts.firstSyncTimeoutMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([cache.start(), new Promise<void>((resolve) => { timer = setTimeout(resolve, timeout); })]);
      clearTimeout(timer);
      if (!cache.synced) log.warn({ timeoutMs: timeout }, "The container state cache is not synced yet; lists and statuses ask Docker until it is");
      sampler.start();
      layers.start();
    },
    async stop() {
      sampler.stop();
      reader.close();
      await layers.stop();
      await cache.stop();
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
