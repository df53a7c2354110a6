import type { Logger } from "../logger/index.js";
import { ContainersApi } from "./containers-api.js";
import { ExecApi } from "./exec-api.js";
import { ImagesApi } from "./images-api.js";
import { parseInfo, type DockerInfo } from "./info.js";
import { negotiateApiVersion, type NegotiatedVersion } from "./negotiate.js";
import type { DockerTransport } from "./transport.js";
import { parseVersion, type DockerVersion } from "./version.js";
import { call, type DockerClientOptions } from "./request-options.js";

/**
 * Typed Docker Engine API calls, each one small method on top of the transport: build the request,
 * narrow the answer. Knows nothing of CRI. Every method takes the caller's signal so that a
 * cancelled RPC stops its Docker call too.
 */
export class DockerClient {
  readonly transport: DockerTransport;
  readonly options: DockerClientOptions;
  /** Endpoint families, one file each, so that each grows on its own. */
  readonly images: ImagesApi;
  readonly containers: ContainersApi;
  readonly exec: ExecApi;
  readonly #log: Logger;

  constructor(transport: DockerTransport, options: DockerClientOptions) {
    this.transport = transport;
    this.options = options;
    this.#log = options.log;
    this.images = new ImagesApi(transport, options);
    this.containers = new ContainersApi(transport, options);
    this.exec = new ExecApi(transport, options);
  }

  /** The negotiated API version, or undefined before `negotiate`. */
  get apiVersion(): string | undefined {
    return this.transport.apiVersion;
  }

  /** Picks the API version for every later call; run once at start-up (and again after a daemon restart). */
  async negotiate(signal?: AbortSignal): Promise<NegotiatedVersion> {
    const v = await negotiateApiVersion(this.transport, signal);
    this.#log.info(
      { endpoint: this.options.endpoint, dockerVersion: v.version, apiVersion: v.apiVersion, daemonApiVersion: v.daemonApiVersion },
      "Negotiated Docker API version",
    );
    return v;
  }

  async version(signal?: AbortSignal): Promise<DockerVersion> {
    const res = await this.transport.request(call("version", "GET", "/version", signal));
    return parseVersion(res.body);
  }

  async info(signal?: AbortSignal): Promise<DockerInfo> {
    const res = await this.transport.request(call("info", "GET", "/info", signal));
    return parseInfo(res.body);
  }

  /** Resolves when the daemon answers; throws Unavailable when it cannot be reached. */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.transport.request(call("ping", "GET", "/_ping", signal));
  }

  /** Destroys the transport's connections. */
  async close(): Promise<void> {
    await this.transport.close();
  }
}
