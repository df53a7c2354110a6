import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerInspect } from "../../docker/index.js";
import type { ContainerStatsSchema } from "../../gen/index.js";
import type { CgroupUsage } from "../../cgroup-stats/index.js";
import { containerCriLabels } from "../translate/container-config.js";
import { parseContainerName } from "../translate/index.js";
import type { StatsDeps } from "./stats-deps.js";
import { cpuUsageOf, memoryUsageOf, swapUsageOf, usageRead, type CgroupRead } from "./usage-of.js";

export type ContainerStatsShape = MessageInitShape<typeof ContainerStatsSchema>;

/** A container's cgroup counters right now, read `how`; undefined when it has no cgroup (not running). */
export function containerSnapshot<S extends CgroupUsage>(deps: Pick<StatsDeps, "cgroups" | "recentUsage">, c: ContainerInspect, how: CgroupRead<S>): S | undefined {
  if (!c.state.running) return undefined;
  const owner = { id: c.id, cgroupParent: c.hostConfig.cgroupParent, pid: c.state.pid };
  const cgroup = deps.cgroups.container(owner);
  if (cgroup === undefined) return undefined;
  const snapshot = how.read(deps, cgroup);
  if (snapshot !== undefined) return snapshot;
  // Nothing at the remembered name: look for the cgroup again.
  deps.cgroups.forget(c.id);
  const found = deps.cgroups.container(owner);
  return found === undefined || found === cgroup ? undefined : how.read(deps, found);
}

/**
 * Reads the cgroups of the running containers (and `more`, pod cgroups) in one batch off the event
 * loop, so that containerSnapshot then finds them in RecentUsage without reading.
 */
export async function prefetchUsage(deps: Pick<StatsDeps, "cgroups" | "recentUsage">, containers: readonly ContainerInspect[], more: readonly string[] = []): Promise<void> {
  const cgroups = [...more];
  for (const c of containers) {
    if (!c.state.running) continue;
    const cgroup = deps.cgroups.container({ id: c.id, cgroupParent: c.hostConfig.cgroupParent, pid: c.state.pid });
    if (cgroup !== undefined) cgroups.push(cgroup);
  }
  await deps.recentUsage.prefetch(cgroups);
}

/**
 * One app container's ContainerStats: CPU and memory read from its cgroup now, usage_nano_cores
 * from the sampler's last window, the writable layer from the background measurement. A container
 * that is not running has attributes (and its layer) only.
 */
export function containerStatsOf(deps: StatsDeps, c: ContainerInspect, timestamp: bigint, snapshot = containerSnapshot(deps, c, usageRead)): ContainerStatsShape {
  const names = parseContainerName(c.name);
  // The same labels ListContainers reports.
  const { labels, annotations } = containerCriLabels(c.config.labels);
  const layer = deps.layers.get(c.id);
  const out: ContainerStatsShape = {
    attributes: { id: c.id, metadata: { name: names?.name ?? c.name.replace(/^\//, ""), attempt: names?.attempt ?? 0 }, labels, annotations },
    ...(layer === undefined ? {} : { writableLayer: { timestamp: layer.atNs, fsId: { mountpoint: deps.dockerRootDir }, usedBytes: { value: layer.bytes } } }),
  };
  if (snapshot === undefined) return out;
  const cpu = cpuUsageOf(snapshot, timestamp, deps.sampler.nanoCores(c.id));
  const memory = memoryUsageOf(snapshot, timestamp);
  const swap = swapUsageOf(snapshot, timestamp);
  return { ...out, ...(cpu === undefined ? {} : { cpu }), ...(memory === undefined ? {} : { memory }), ...(swap === undefined ? {} : { swap }) };
}
