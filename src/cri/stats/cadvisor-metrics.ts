import { MetricType } from "../../gen/index.js";
import type { CgroupSnapshot, InterfaceCounters } from "../../cgroup-stats/index.js";

/**
 * The cAdvisor metrics the kubelet's /metrics/cadvisor serves for CPU, memory, network and
 * processes, with cAdvisor's names, help and label keys, so that dashboards and alerts written for
 * cAdvisor keep working when the kubelet takes them from the runtime (PodAndContainerStatsFromCRI).
 * Every series carries the base labels in this order; some add their own after them.
 */
export const baseLabelKeys = ["container", "id", "image", "name", "namespace", "pod"] as const;

/** What one series is computed from. */
export interface MetricSource {
  readonly snapshot: CgroupSnapshot | undefined;
  /** Pod-level series only: the pod network namespace's interfaces. */
  readonly interfaces: readonly InterfaceCounters[] | undefined;
  /** Seconds since the epoch. */
  readonly startedAt: number | undefined;
  readonly nowSeconds: number;
}

export interface CadvisorMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** Label keys after the base ones. */
  readonly extraLabelKeys: readonly string[];
  /** Zero or more samples: extra label values and the value. */
  readonly values: (s: MetricSource) => readonly (readonly [readonly string[], bigint])[];
}

const second = 1_000_000_000n;
const one = (v: bigint | number | undefined): (readonly [readonly string[], bigint])[] => (v === undefined ? [] : [[[], BigInt(v)]]);
const perInterface = (pick: (i: InterfaceCounters) => bigint) => (s: MetricSource) => (s.interfaces ?? []).map((i) => [[i.name], pick(i)] as const);

// CRI metric values are unsigned integers: seconds are whole seconds, as cri-o reports them.
export const cadvisorMetrics: readonly CadvisorMetric[] = [
  { name: "container_cpu_usage_seconds_total", help: "Cumulative cpu time consumed in seconds.", type: MetricType.COUNTER, extraLabelKeys: ["cpu"], values: (s) => (s.snapshot?.cpu === undefined ? [] : [[["total"], s.snapshot.cpu.usageNs / second]]) },
  { name: "container_cpu_user_seconds_total", help: "Cumulative user cpu time consumed in seconds.", type: MetricType.COUNTER, extraLabelKeys: [], values: (s) => one(div(s.snapshot?.cpu?.userNs)) },
  { name: "container_cpu_system_seconds_total", help: "Cumulative system cpu time consumed in seconds.", type: MetricType.COUNTER, extraLabelKeys: [], values: (s) => one(div(s.snapshot?.cpu?.systemNs)) },
  { name: "container_cpu_cfs_periods_total", help: "Number of elapsed enforcement period intervals.", type: MetricType.COUNTER, extraLabelKeys: [], values: (s) => one(s.snapshot?.cpu?.periods) },
  { name: "container_cpu_cfs_throttled_periods_total", help: "Number of throttled period intervals.", type: MetricType.COUNTER, extraLabelKeys: [], values: (s) => one(s.snapshot?.cpu?.throttledPeriods) },
  { name: "container_cpu_cfs_throttled_seconds_total", help: "Total time duration the container has been throttled.", type: MetricType.COUNTER, extraLabelKeys: [], values: (s) => one(div(s.snapshot?.cpu?.throttledNs)) },
  { name: "container_memory_usage_bytes", help: "Current memory usage in bytes, including all memory regardless of when it was accessed", type: MetricType.GAUGE, extraLabelKeys: [], values: (s) => one(s.snapshot?.memory?.usage) },
  { name: "container_memory_working_set_bytes", help: "Current working set in bytes.", type: MetricType.GAUGE, extraLabelKeys: [], values: (s) => one(s.snapshot?.memory?.workingSet) },
  { name: "container_memory_rss", help: "Size of RSS in bytes.", type: MetricType.GAUGE, extraLabelKeys: [], values: (s) => one(s.snapshot?.memory?.rss) },
  { name: "container_memory_cache", help: "Number of bytes of page cache memory.", type: MetricType.GAUGE, extraLabelKeys: [], values: (s) => one(s.snapshot?.memory?.cache) },
  { name: "container_memory_mapped_file", help: "Size of memory mapped files in bytes.", type: MetricType.GAUGE, extraLabelKeys: [], values: (s) => one(s.snapshot?.memory?.mappedFile) },
  { name: "container_memory_swap", help: "Container swap usage in bytes.", type: MetricType.GAUGE, extraLabelKeys: [], values: (s) => one(s.snapshot?.memory?.swapUsage) },
  { name: "container_memory_max_usage_bytes", help: "Maximum memory usage recorded in bytes", type: MetricType.GAUGE, extraLabelKeys: [], values: (s) => one(s.snapshot?.memory?.maxUsage) },
  { name: "container_memory_failcnt", help: "Number of memory usage hits limits", type: MetricType.COUNTER, extraLabelKeys: [], values: (s) => one(s.snapshot?.memory?.failcnt) },
  {
    name: "container_memory_failures_total",
    help: "Cumulative count of memory allocation failures.",
    type: MetricType.COUNTER,
    extraLabelKeys: ["failure_type", "scope"],
    values: (s) => {
      const m = s.snapshot?.memory;
      if (m === undefined) return [];
      // The counters are hierarchical: the same value for both scopes, as cAdvisor reports them.
      return [
        [["pgfault", "container"], m.pageFaults],
        [["pgfault", "hierarchy"], m.pageFaults],
        [["pgmajfault", "container"], m.majorPageFaults],
        [["pgmajfault", "hierarchy"], m.majorPageFaults],
      ];
    },
  },
  { name: "container_oom_events_total", help: "Count of out of memory events observed for the container", type: MetricType.COUNTER, extraLabelKeys: [], values: (s) => one(s.snapshot?.memory?.oomKills) },
  { name: "container_spec_memory_limit_bytes", help: "Memory limit for the container.", type: MetricType.GAUGE, extraLabelKeys: [], values: (s) => (s.snapshot?.memory === undefined ? [] : one(s.snapshot.memory.limit ?? 0n)) },
  { name: "container_network_receive_bytes_total", help: "Cumulative count of bytes received", type: MetricType.COUNTER, extraLabelKeys: ["interface"], values: perInterface((i) => i.rxBytes) },
  { name: "container_network_receive_packets_total", help: "Cumulative count of packets received", type: MetricType.COUNTER, extraLabelKeys: ["interface"], values: perInterface((i) => i.rxPackets) },
  { name: "container_network_receive_packets_dropped_total", help: "Cumulative count of packets dropped while receiving", type: MetricType.COUNTER, extraLabelKeys: ["interface"], values: perInterface((i) => i.rxDropped) },
  { name: "container_network_receive_errors_total", help: "Cumulative count of errors encountered while receiving", type: MetricType.COUNTER, extraLabelKeys: ["interface"], values: perInterface((i) => i.rxErrors) },
  { name: "container_network_transmit_bytes_total", help: "Cumulative count of bytes transmitted", type: MetricType.COUNTER, extraLabelKeys: ["interface"], values: perInterface((i) => i.txBytes) },
  { name: "container_network_transmit_packets_total", help: "Cumulative count of packets transmitted", type: MetricType.COUNTER, extraLabelKeys: ["interface"], values: perInterface((i) => i.txPackets) },
  { name: "container_network_transmit_packets_dropped_total", help: "Cumulative count of packets dropped while transmitting", type: MetricType.COUNTER, extraLabelKeys: ["interface"], values: perInterface((i) => i.txDropped) },
  { name: "container_network_transmit_errors_total", help: "Cumulative count of errors encountered while transmitting", type: MetricType.COUNTER, extraLabelKeys: ["interface"], values: perInterface((i) => i.txErrors) },
  { name: "container_processes", help: "Number of processes running inside the container.", type: MetricType.GAUGE, extraLabelKeys: [], values: (s) => one(s.snapshot?.processes) },
  { name: "container_threads", help: "Number of threads running inside the container", type: MetricType.GAUGE, extraLabelKeys: [], values: (s) => one(s.snapshot?.pids?.current) },
  { name: "container_threads_max", help: "Maximum number of threads allowed inside the container, infinity if value is zero", type: MetricType.GAUGE, extraLabelKeys: [], values: (s) => (s.snapshot?.pids === undefined ? [] : one(s.snapshot.pids.limit ?? 0n)) },
  { name: "container_start_time_seconds", help: "Start time of the container since unix epoch in seconds.", type: MetricType.GAUGE, extraLabelKeys: [], values: (s) => one(s.startedAt) },
  { name: "container_last_seen", help: "Last time a container was seen by the exporter", type: MetricType.GAUGE, extraLabelKeys: [], values: (s) => one(s.nowSeconds) },
];

function div(ns: bigint | undefined): bigint | undefined {
  return ns === undefined ? undefined : ns / second;
}
