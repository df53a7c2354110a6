import { Counter, Histogram, type Registry } from "prom-client";
import type { NetworkPlugin, NetworkStatus, PodNetworkRef, PodNetworkResult, PodNetworkSetup, PodNetworkTeardownOptions } from "../network/index.js";

const labelNames = ["operation_type"] as const;
type Label = (typeof labelNames)[number];

/** dockershim's operation names for the network plugin manager's calls. */
type Operation = "set_up_pod" | "tear_down_pod";

/**
 * Wraps a network plugin so that pod network setup and teardown are counted, timed and their errors
 * counted under dockershim's metric names (`network_plugin_operations_*`), labelled only by the
 * operation. Status and the pod CIDR pass through untimed: the kubelet polls Status, and they do no
 * network work.
 */
export function instrumentNetworkPlugin(inner: NetworkPlugin, registry: Registry): NetworkPlugin {
  const total = counter(registry, "network_plugin_operations_total", "Cumulative number of network plugin operations by operation type.");
  const duration = histogram(registry, "network_plugin_operations_duration_seconds", "Latency in seconds of network plugin operations. Broken down by operation type.");
  const errors = counter(registry, "network_plugin_operations_errors_total", "Cumulative number of network plugin operation errors by operation type.");

  async function observe<T>(operation: Operation, call: () => Promise<T>): Promise<T> {
    const labels = { operation_type: operation };
    const endTimer = duration.startTimer(labels);
    total.inc(labels);
    try {
      return await call();
    } catch (err) {
      errors.inc(labels);
      throw err;
    } finally {
      endTimer();
    }
  }

  return {
    get name(): string {
      return inner.name;
    },
    get sandboxNetworkMode(): NetworkPlugin["sandboxNetworkMode"] {
      return inner.sandboxNetworkMode;
    },
    status(): Promise<NetworkStatus> {
      return inner.status();
    },
    setPodCidr(cidr: string): void {
      inner.setPodCidr(cidr);
    },
    podCidr(): string {
      return inner.podCidr();
    },
    setUpPod(pod: PodNetworkSetup, signal: AbortSignal): Promise<PodNetworkResult> {
      return observe("set_up_pod", () => inner.setUpPod(pod, signal));
    },
    tearDownPod(pod: PodNetworkRef, signal: AbortSignal, options?: PodNetworkTeardownOptions): Promise<void> {
      return observe("tear_down_pod", () => inner.tearDownPod(pod, signal, options));
    },
  };
}

function counter(registry: Registry, name: string, help: string): Counter<Label> {
  const existing = registry.getSingleMetric(name);
  // Only this module registers these names, always with the one label.
  if (existing instanceof Counter) return existing;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function histogram(registry: Registry, name: string, help: string): Histogram<Label> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Histogram) return existing;
  // prom-client's default buckets are Prometheus' DefBuckets (5 ms … 10 s), which dockershim used.
  return new Histogram({ name, help, labelNames, registers: [registry] });
}
