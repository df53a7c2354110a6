import type { Registry } from "prom-client";
import type {
  DockerHijackResponse,
  DockerRequestOptions,
  DockerResponse,
  DockerStreamResponse,
  DockerTransport,
} from "../docker/index.js";
import { observeOperation, operationCounter, operationHistogram, type OperationMetrics } from "./operation-metrics.js";

/**
 * Wraps a transport so that every Docker call is counted and timed under dockershim's metric names,
 * labelled only by the bounded operation name. Streams and hijacks are timed until their response
 * head arrives: what follows is the caller's reading, not Docker's latency. As in dockershim, a
 * timeout counts as an error too.
 */
export function instrumentDockerTransport(inner: DockerTransport, registry: Registry): DockerTransport {
  const m = dockerOperationMetrics(registry);
  const observe = <T>(opts: DockerRequestOptions, call: () => Promise<T>): Promise<T> => observeOperation(m, opts.operation, call);

  return {
    get endpoint(): string {
      return inner.endpoint;
    },
    get apiVersion(): string | undefined {
      return inner.apiVersion;
    },
    useApiVersion(version: string): void {
      inner.useApiVersion(version);
    },
    request(opts: DockerRequestOptions): Promise<DockerResponse> {
      return observe(opts, () => inner.request(opts));
    },
    stream(opts: DockerRequestOptions): Promise<DockerStreamResponse> {
      return observe(opts, () => inner.stream(opts));
    },
    hijack(opts: DockerRequestOptions): Promise<DockerHijackResponse> {
      return observe(opts, () => inner.hijack(opts));
    },
    close(): Promise<void> {
      return inner.close();
    },
  };
}

/**
 * The four metrics, registered once per registry: a second decorated transport (e.g. after a
 * reconnect) shares them instead of failing on a duplicate registration.
 */
function dockerOperationMetrics(registry: Registry): OperationMetrics {
  return {
    total: operationCounter(registry, "docker_operations_total", "Cumulative number of Docker operations by operation type."),
    duration: operationHistogram(registry, "docker_operations_duration_seconds", "Latency in seconds of Docker operations. Broken down by operation type."),
    errors: operationCounter(registry, "docker_operations_errors_total", "Cumulative number of Docker operation errors by operation type."),
    timeouts: operationCounter(registry, "docker_operations_timeout_total", "Cumulative number of Docker operation timeouts by operation type."),
  };
}
