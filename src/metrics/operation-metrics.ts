import { Counter, Histogram, type Registry } from "prom-client";
import { hasKind } from "../errors/index.js";

/** dockershim's operation metrics carry one bounded label: the operation's name. */
const labelNames = ["operation_type"] as const;
export type OperationLabel = (typeof labelNames)[number];

/** One family of dockershim-style operation metrics (`*_operations_total`, `_duration_seconds`, `_errors_total`). */
export interface OperationMetrics {
  readonly total: Counter<OperationLabel>;
  readonly duration: Histogram<OperationLabel>;
  readonly errors: Counter<OperationLabel>;
  /** Where given, an error of kind DeadlineExceeded is counted here as well as in `errors`, as in dockershim. */
  readonly timeouts?: Counter<OperationLabel>;
}

/** Counts and times one call under its operation; a failure is counted and rethrown. */
export async function observeOperation<T>(m: OperationMetrics, operation: string, call: () => Promise<T>): Promise<T> {
  const labels = { operation_type: operation };
  const endTimer = m.duration.startTimer(labels);
  m.total.inc(labels);
  try {
    return await call();
  } catch (err) {
    m.errors.inc(labels);
    if (m.timeouts !== undefined && hasKind(err, "DeadlineExceeded")) m.timeouts.inc(labels);
    throw err;
  } finally {
    endTimer();
  }
}

/**
 * The counter of this name in the registry, registered on first use: a second decorated transport or
 * plugin (e.g. after a reconnect) shares it instead of failing on a duplicate registration.
 */
export function operationCounter(registry: Registry, name: string, help: string): Counter<OperationLabel> {
  const existing = registry.getSingleMetric(name);
  // Only the operation-metrics modules register these names, always with the one label. A metric of
  // the same name but another type falls through and fails to register: a programming error worth failing on.
  if (existing instanceof Counter) return existing;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** As operationCounter, for the latency histogram. */
export function operationHistogram(registry: Registry, name: string, help: string): Histogram<OperationLabel> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Histogram) return existing;
  // prom-client's default buckets are Prometheus' DefBuckets (5 ms … 10 s), which dockershim used.
  return new Histogram({ name, help, labelNames, registers: [registry] });
}
