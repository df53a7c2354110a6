import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerInspect } from "../../docker/index.js";
import type { NetworkUsageSchema, PodSandboxStatsSchema } from "../../gen/index.js";
import { readPodInterfaces, readPodInterfacesMany, type CgroupUsage, type InterfaceCounters } from "../../cgroup-stats/index.js";
import { extractLabels, parseSandboxName } from "../translate/index.js";
import { containerSnapshot, containerStatsOf } from "./container-stats-of.js";
import { podSampleKey, type StatsDeps } from "./stats-deps.js";
import { cpuUsageOf, memoryUsageOf, processUsageOf, usageRead, type CgroupRead } from "./usage-of.js";

export type PodSandboxStatsShape = MessageInitShape<typeof PodSandboxStatsSchema>;

/** The kubelet's name for a pod's main interface (kubelet network.DefaultInterfaceName). */
export const defaultInterfaceName = "eth0";

/** A pod's totals and where its CPU rate comes from. */
export interface PodTotals<S extends CgroupUsage> {
  readonly snapshot: S | undefined;
  readonly nanoCores: bigint | undefined;
  /** The pod cgroup's name, when it has one. */
  readonly cgroup: string | undefined;
}

/**
 * A pod's totals: its own cgroup when the sandbox has a cgroup parent (the kubelet gives every pod
 * one, shared by all its containers), else the sum of the sandbox's and its running containers'.
 */
export function podTotals<S extends CgroupUsage>(deps: StatsDeps, sandbox: ContainerInspect, members: readonly ContainerInspect[], how: CgroupRead<S>, memberSnapshots?: ReadonlyMap<string, S | undefined>): PodTotals<S> {
  const cgroup = sandbox.state.running ? deps.cgroups.pod({ cgroupParent: sandbox.hostConfig.cgroupParent }) : undefined;
  if (cgroup !== undefined) {
    return { snapshot: how.read(deps, cgroup), nanoCores: deps.sampler.nanoCores(podSampleKey(sandbox.id)), cgroup };
  }
  const parts = [sandbox, ...members];
  const snapshotOf = (c: ContainerInspect): S | undefined => (memberSnapshots?.has(c.id) === true ? memberSnapshots.get(c.id) : containerSnapshot(deps, c, how));
  const snapshots = parts.map(snapshotOf).filter((s) => s !== undefined);
  let nanoCores: bigint | undefined = 0n;
  for (const c of parts) {
    if (!c.state.running) continue;
    const rate = deps.sampler.nanoCores(c.id);
    nanoCores = rate === undefined || nanoCores === undefined ? undefined : nanoCores + rate;
  }
  return { snapshot: how.sum(snapshots), nanoCores, cgroup: undefined };
}

/** The pod network namespace's interfaces (none for host-network pods: those counters are the node's). */
export function podInterfaces(deps: Pick<StatsDeps, "procRoot">, sandbox: ContainerInspect, read?: ReadonlyMap<number, InterfaceCounters[] | undefined>): InterfaceCounters[] | undefined {
  if (!hasOwnNetwork(sandbox)) return undefined;
  return read?.has(sandbox.state.pid) === true ? read.get(sandbox.state.pid) : readPodInterfaces(sandbox.state.pid, deps.procRoot);
}

/** podInterfaces' files of many sandboxes, read in one batch off the event loop: for podInterfaces' `read`. */
export function podInterfacesMany(deps: Pick<StatsDeps, "procRoot" | "readFiles">, sandboxes: readonly ContainerInspect[]): Promise<Map<number, InterfaceCounters[] | undefined>> {
  return readPodInterfacesMany(sandboxes.filter(hasOwnNetwork).map((s) => s.state.pid), deps.procRoot, deps.readFiles);
}

function hasOwnNetwork(sandbox: ContainerInspect): boolean {
  return sandbox.state.running && sandbox.hostConfig.networkMode !== "host";
}

/**
 * PodSandboxStats of a sandbox and its running containers. Each container's cgroup is read once,
 * for its own stats and, when the pod has no cgroup of its own, for the pod's sums. The network
 * counters come from interfacesRead when it has the sandbox's (podInterfacesMany), else are read now.
 */
export function podSandboxStatsOf(deps: StatsDeps, sandbox: ContainerInspect, members: readonly ContainerInspect[], timestamp: bigint, interfacesRead?: ReadonlyMap<number, InterfaceCounters[] | undefined>): PodSandboxStatsShape {
  const metadata = parseSandboxName(sandbox.name);
  const { labels, annotations } = extractLabels(sandbox.config.labels);
  const snapshots = new Map(members.map((c) => [c.id, containerSnapshot(deps, c, usageRead)]));
  const totals = podTotals(deps, sandbox, members, usageRead, snapshots);
  const cpu = totals.snapshot === undefined ? undefined : cpuUsageOf(totals.snapshot, timestamp, totals.nanoCores);
  const memory = totals.snapshot === undefined ? undefined : memoryUsageOf(totals.snapshot, timestamp);
  const process = totals.snapshot === undefined ? undefined : processUsageOf(totals.snapshot, timestamp);
  const interfaces = podInterfaces(deps, sandbox, interfacesRead);
  return {
    attributes: { id: sandbox.id, ...(metadata === undefined ? {} : { metadata }), labels, annotations },
    linux: {
      ...(cpu === undefined ? {} : { cpu }),
      ...(memory === undefined ? {} : { memory }),
      ...(process === undefined ? {} : { process }),
      ...(interfaces === undefined ? {} : { network: networkUsageOf(interfaces, timestamp) }),
      containers: members.map((c) => containerStatsOf(deps, c, timestamp, snapshots.get(c.id))),
    },
  };
}

function networkUsageOf(interfaces: readonly InterfaceCounters[], timestamp: bigint): MessageInitShape<typeof NetworkUsageSchema> {
  const usage = (i: InterfaceCounters) => ({
    name: i.name,
    rxBytes: { value: i.rxBytes },
    rxErrors: { value: i.rxErrors },
    txBytes: { value: i.txBytes },
    txErrors: { value: i.txErrors },
  });
  const main = interfaces.find((i) => i.name === defaultInterfaceName) ?? interfaces[0];
  return { timestamp, ...(main === undefined ? {} : { defaultInterface: usage(main) }), interfaces: interfaces.map(usage) };
}
