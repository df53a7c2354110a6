import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerInspect } from "../../docker/index.js";
import type { MetricSchema, PodSandboxMetricsSchema } from "../../gen/index.js";
import { containerNameLabel, parseContainerName, parseSandboxName, podNameLabel, podNamespaceLabel } from "../translate/index.js";
import { cadvisorMetrics, type MetricSource } from "./cadvisor-metrics.js";
import { containerSnapshot } from "./container-stats-of.js";
import { podInterfaces, podTotals } from "./pod-sandbox-stats-of.js";
import type { StatsDeps } from "./stats-deps.js";
import { fullRead } from "./usage-of.js";

type MetricShape = MessageInitShape<typeof MetricSchema>;
export type PodSandboxMetricsShape = MessageInitShape<typeof PodSandboxMetricsSchema>;

/**
 * One pod's metrics: pod-level series (its cgroup, or the sum of its containers, plus its network
 * namespace's interfaces) with container="" as cAdvisor labels a pod cgroup, and each running app
 * container's series. Timestamps are 0: the values are read live, which tells the kubelet to use
 * its own scrape time.
 */
export function podSandboxMetricsOf(deps: StatsDeps, sandbox: ContainerInspect, members: readonly ContainerInspect[], nowSeconds: number): PodSandboxMetricsShape {
  const pod = parseSandboxName(sandbox.name);
  const namespace = sandbox.config.labels[podNamespaceLabel] ?? pod?.namespace ?? "";
  const podName = sandbox.config.labels[podNameLabel] ?? pod?.name ?? "";
  const totals = podTotals(deps, sandbox, members, fullRead);
  const podSource: MetricSource = { snapshot: totals.snapshot, interfaces: podInterfaces(deps, sandbox), startedAt: startedSeconds(sandbox), nowSeconds };
  return {
    podSandboxId: sandbox.id,
    metrics: series(["", totals.cgroup ?? sandbox.id, "", "", namespace, podName], podSource),
    containerMetrics: members.map((c) => {
      const cgroup = deps.cgroups.container({ id: c.id, cgroupParent: c.hostConfig.cgroupParent, pid: c.state.pid });
      const name = c.config.labels[containerNameLabel] ?? parseContainerName(c.name)?.name ?? "";
      const source: MetricSource = { snapshot: containerSnapshot(deps, c, fullRead), interfaces: undefined, startedAt: startedSeconds(c), nowSeconds };
      return { containerId: c.id, metrics: series([name, cgroup ?? c.id, c.config.image, c.name.replace(/^\//, ""), namespace, podName], source) };
    }),
  };
}

function series(base: readonly string[], source: MetricSource): MetricShape[] {
  const out: MetricShape[] = [];
  for (const m of cadvisorMetrics) {
    for (const [extra, value] of m.values(source)) {
      out.push({ name: m.name, timestamp: 0n, metricType: m.type, labelValues: [...base, ...extra], value: { value } });
    }
  }
  return out;
}

function startedSeconds(c: ContainerInspect): number | undefined {
  const ms = Date.parse(c.state.startedAt);
  return Number.isNaN(ms) || c.state.startedAt.startsWith("0001-01-01") ? undefined : Math.floor(ms / 1000);
}
