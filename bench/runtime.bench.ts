import { request } from "node:http";
import type { DockerTransport } from "../src/docker/index.js";
import { RuntimeService } from "../src/gen/index.js";
import type { BenchCase } from "./bench.js";
import { freshUnaryCall } from "./fresh-grpc.js";

/** A GET on a connection of its own (agent: false), closed after the answer. */
function freshDockerGet(docker: DockerTransport, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = request({ socketPath: "/var/run/docker.sock", path: `/v${docker.apiVersion ?? "1.41"}${path}`, agent: false }, (res) => {
      res.resume();
      res.once("end", resolve);
      res.once("error", reject);
    });
    req.once("error", reject);
    req.end();
  });
}

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
    // What `crictl version` costs beyond process start: a new HTTP/2 connection (see fresh-grpc.ts),
    // one call, close; against a new HTTP connection to dockerd for GET /version.
    name: "Version (new connection)",
    description: "new gRPC connection + CRI Version + close vs new Docker connection + GET /version + close",
    iterations: 100,
    async shim({ socketPath }) {
      await freshUnaryCall(socketPath, RuntimeService.method.version, {});
    },
    async direct({ docker }) {
      // dockerd answers /version by running runc and docker-init for their versions, every time.
      await freshDockerGet(docker, "/version");
    },
  },
  {
    // The connection's own cost: RuntimeConfig is answered from memory, /_ping does nothing.
    name: "RuntimeConfig (new connection)",
    description: "new gRPC connection + CRI RuntimeConfig + close vs new Docker connection + GET /_ping + close",
    iterations: 100,
    async shim({ socketPath }) {
      await freshUnaryCall(socketPath, RuntimeService.method.runtimeConfig, {});
    },
    async direct({ docker }) {
      await freshDockerGet(docker, "/_ping");
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
