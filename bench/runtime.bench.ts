import { RuntimeService } from "../src/gen/index.js";
import type { BenchCase } from "./bench.js";

export const cases: BenchCase[] = [
  {
    name: "Version",
    description: "CRI Version (the engine reading docker-cri keeps) vs GET /version",
    iterations: 200,
    async shim({ cri }) {
      await cri.call(RuntimeService.method.version, {});
    },
    async direct({ docker }) {
      await docker.request({ operation: "version", method: "GET", path: "/version" });
    },
  },
  {
    // The floor of every RPC answered from memory: RuntimeConfig reads nothing but docker-cri's own
    // settings, so its latency is the CRI round trip itself (gRPC over the unix socket, interceptor).
    name: "RuntimeConfig",
    description: "CRI RuntimeConfig (answered from memory: the CRI round trip alone) vs GET /_ping",
    iterations: 200,
    async shim({ cri }) {
      await cri.call(RuntimeService.method.runtimeConfig, {});
    },
    async direct({ docker }) {
      await docker.request({ operation: "ping", method: "GET", path: "/_ping" });
    },
  },
  {
    name: "Status",
    description: "CRI Status vs GET /_ping",
    iterations: 200,
    async shim({ cri }) {
      await cri.call(RuntimeService.method.status, {});
    },
    async direct({ docker }) {
      await docker.request({ operation: "ping", method: "GET", path: "/_ping" });
    },
  },
];
