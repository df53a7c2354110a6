import { Counter, Histogram, type Registry } from "prom-client";
import type {
  DockerHijackResponse,
  DockerRequestOptions,
  DockerResponse,
  DockerStreamResponse,
  DockerTransport,
} from "../docker/index.js";
import { hasKind } from "../errors/index.js";

const labelNames = ["operation_type"] as const;
type Label = (typeof labelNames)[number];

interface DockerOperationMetrics {
  readonly total: Counter<Label>;
  readonly duration: Histogram<Label>;
  readonly errors: Counter<Label>;
  readonly timeouts: Counter<Label>;
}

/**
 * Wraps a transport so that every Docker call is counted and timed under dockershim's metric names,
 * labelled only by the bounded operation name. Streams and hijacks are timed until their response
 * head arrives: what follows is the caller's reading, not Docker's latency. As in dockershim, a
 * timeout counts as an error too.
 */
export function instrumentDockerTransport(inner: DockerTransport, registry: Registry): DockerTransport {
  const m = dockerOperationMetrics(registry);

  async function observe<T>(opts: DockerRequestOptions, call: () => Promise<T>): Promise<T> {
    const labels = { operation_type: opts.operation };
    const endTimer = m.duration.startTimer(labels);
    m.total.inc(labels);
    try {
      return await call();
    } catch (err) {
      m.errors.inc(labels);
      if (hasKind(err, "DeadlineExceeded")) m.timeouts.inc(labels);
      throw err;
    } finally {
      endTimer();
    }
  }

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
function dockerOperationMetrics(registry: Registry): DockerOperationMetrics {
  return {
    total: counter(registry, "docker_operations_total", "Cumulative number of Docker operations by operation type."),
    duration: histogram(registry, "docker_operations_duration_seconds", "Latency in seconds of Docker operations. Broken down by operation type."),
    errors: counter(registry, "docker_operations_errors_total", "Cumulative number of Docker operation errors by operation type."),
    timeouts: counter(registry, "docker_operations_timeout_total", "Cumulative number of Docker operation timeouts by operation type."),
  };
}

function counter(registry: Registry, name: string, help: string): Counter<Label> {
  const existing = registry.getSingleMetric(name);
  // Only this module registers these names, always with the one label. A metric of the same name
  // but another type falls through and fails to register: a programming error worth failing on.
  if (existing instanceof Counter) return existing;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function histogram(registry: Registry, name: string, help: string): Histogram<Label> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Histogram) return existing;
  // prom-client's default buckets are Prometheus' DefBuckets (5 ms … 10 s), which dockershim used.
  return new Histogram({ name, help, labelNames, registers: [registry] });
}
