import type { Registry } from "prom-client";
import type { NetworkPlugin, NetworkStatus, PodNetworkRef, PodNetworkResult, PodNetworkSetup, PodNetworkTeardownOptions } from "../network/index.js";
import { observeOperation, operationCounter, operationHistogram, type OperationMetrics } from "./operation-metrics.js";

/** dockershim's operation names for the network plugin manager's calls. */
type Operation = "set_up_pod" | "tear_down_pod";

/**
 * Wraps a network plugin so that pod network setup and teardown are counted, timed and their errors
 * counted under dockershim's metric names (`network_plugin_operations_*`), labelled only by the
 * operation. Status and the pod CIDR pass through untimed: the kubelet polls Status, and they do no
 * network work.
 */
export function instrumentNetworkPlugin(inner: NetworkPlugin, registry: Registry): NetworkPlugin {
  const m: OperationMetrics = {
    total: operationCounter(registry, "network_plugin_operations_total", "Cumulative number of network plugin operations by operation type."),
    duration: operationHistogram(registry, "network_plugin_operations_duration_seconds", "Latency in seconds of network plugin operations. Broken down by operation type."),
    errors: operationCounter(registry, "network_plugin_operations_errors_total", "Cumulative number of network plugin operation errors by operation type."),
  };
  const observe = <T>(operation: Operation, call: () => Promise<T>): Promise<T> => observeOperation(m, operation, call);

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
