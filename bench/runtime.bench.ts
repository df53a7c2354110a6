import { RuntimeService } from "../src/gen/index.js";
import type { BenchCase } from "./bench.js";

export const cases: BenchCase[] = [
  {
    name: "Version",
    description: "CRI Version vs GET /version",
    iterations: 200,
    async shim({ cri }) {
      await cri.call(RuntimeService.method.version, {});
    },
    async direct({ docker }) {
      await docker.request({ operation: "version", method: "GET", path: "/version" });
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
