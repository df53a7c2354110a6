import type { DockerClientOptions } from "./docker-client.js";
import type { DockerTransport } from "./transport.js";

/** Docker image endpoints (`/images/*`): list, inspect, history, pull, remove. */
export class ImagesApi {
  constructor(
    readonly transport: DockerTransport,
    readonly options: DockerClientOptions,
  ) {}
}
