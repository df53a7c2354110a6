import type { DockerClientOptions } from "./docker-client.js";
import type { DockerTransport } from "./transport.js";

/** Docker exec and attach endpoints (`/containers/{id}/exec`, `/exec/*`, `/containers/{id}/attach`, resize). */
export class ExecApi {
  constructor(
    readonly transport: DockerTransport,
    readonly options: DockerClientOptions,
  ) {}
}
