import type { DockerClientOptions } from "./docker-client.js";
import type { DockerTransport } from "./transport.js";

/** Docker container endpoints (`/containers/*`): create, start, stop, kill, remove, inspect, list, update. */
export class ContainersApi {
  constructor(
    readonly transport: DockerTransport,
    readonly options: DockerClientOptions,
  ) {}
}
