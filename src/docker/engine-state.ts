import type { Logger } from "../logger/index.js";
import type { DockerClient } from "./docker-client.js";
import { engineFeatures, type EngineFeatures } from "./engine-features.js";
import type { DockerInfo } from "./info.js";

/**
 * The engine's features as of the last time we asked. Read at start-up, and again whenever Docker's
 * event stream had to be reopened (dockerd restarted: it may be another version now, as when an
 * operator upgrades Docker under a live node), so the API version and every feature follow the
 * engine without restarting docker-cri.
 */
export class EngineState {
  readonly #docker: DockerClient;
  readonly #log: Logger;
  #current: EngineFeatures;
  #info: DockerInfo;

  private constructor(docker: DockerClient, log: Logger, current: EngineFeatures, info: DockerInfo) {
    this.#docker = docker;
    this.#log = log;
    this.#current = current;
    this.#info = info;
  }

  /** Negotiates the API version and reads `docker info`; throws what they throw (start-up refuses such an engine). */
  static async open(docker: DockerClient, log: Logger, signal: AbortSignal): Promise<EngineState> {
    const version = await docker.negotiate(signal);
    const info = await docker.info(signal);
    return new EngineState(docker, log, engineFeatures(version, info), info);
  }

  get current(): EngineFeatures {
    return this.#current;
  }

  /** The `docker info` read with the current features. */
  get info(): DockerInfo {
    return this.#info;
  }

  /** Asks again (after a reconnect); logs what changed. Throws when the daemon cannot be asked or is refused. */
  async refresh(signal: AbortSignal): Promise<EngineFeatures> {
    const version = await this.#docker.negotiate(signal);
    const info = await this.#docker.info(signal);
    const before = this.#current;
    const next = engineFeatures(version, info);
    this.#current = next;
    this.#info = info;
    // Object.keys of an EngineFeatures built by engineFeatures: exactly its own keys.
    const changed = (Object.keys(next) as (keyof EngineFeatures)[]).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(before[k]));
    if (changed.length > 0) {
      this.#log.warn(
        { changed: Object.fromEntries(changed.map((k) => [k, { from: before[k], to: next[k] }])) },
        "The Docker Engine changed since it was last asked (restarted as another version or with other settings)",
      );
    }
    return next;
  }
}
