import { Counter, Histogram, type Registry } from "prom-client";

/** What the gRPC boundary records for each call. Labels are bounded: method and code, never ids. */
export interface RpcMetrics {
  observe(method: string, code: string, seconds: number): void;
}

export function createRpcMetrics(registry: Registry): RpcMetrics {
  const total = new Counter({
    name: "docker_cri_rpc_requests_total",
    help: "CRI RPCs served, by method and gRPC status code.",
    labelNames: ["method", "code"],
    registers: [registry],
  });
  const errors = new Counter({
    name: "docker_cri_rpc_errors_total",
    help: "CRI RPCs that ended with a non-OK status, by method and code.",
    labelNames: ["method", "code"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "docker_cri_rpc_duration_seconds",
    help: "Latency of CRI RPCs, by method.",
    labelNames: ["method"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  return {
    observe(method, code, seconds) {
      total.inc({ method, code });
      if (code !== "OK") errors.inc({ method, code });
      duration.observe({ method }, seconds);
    },
  };
}
