import { CriError } from "../errors/index.js";
import { parseContainerInspect, type ContainerInspect } from "./container-inspect.js";
import { parseContainerList, type ContainerSummary } from "./container-summary.js";
import { moveInterfaceSysctls } from "./interface-sysctls.js";
import { JsonObjectReader } from "./parse.js";
import type { DockerTransport, QueryValue } from "./transport.js";
import { call, type DockerClientOptions } from "./request-options.js";

/** Filters of `GET /containers/json`; each key's values are ORed, keys are ANDed. */
export interface ContainerListFilters {
  /** "key" or "key=value". */
  readonly label?: readonly string[];
  /** Docker matches ids as regular expressions on the full id, so a prefix matches too. */
  readonly id?: readonly string[];
  readonly name?: readonly string[];
  /** "created", "running", "paused", "restarting", "removing", "exited", "dead". */
  readonly status?: readonly string[];
}

/**
 * `POST /containers/{id}/update`: the cgroup settings Docker can change on a live container. A field
 * left out keeps its value; Docker reads 0 the same way for most of them.
 */
export interface ContainerResourceUpdate {
  readonly CpuShares?: number;
  readonly CpuQuota?: number;
  readonly CpuPeriod?: number;
  readonly CpusetCpus?: string;
  readonly CpusetMems?: string;
  readonly Memory?: number;
  /** Memory plus swap; Docker refuses a memory limit above the current one, so both change together. */
  readonly MemorySwap?: number;
}

export interface ContainerCreateResult {
  readonly id: string;
  readonly warnings: readonly string[];
}

/**
 * Docker container endpoints (`/containers/*`): create, start, stop, kill, remove, inspect, list.
 * Ids and names are checked before they go into a path, so a caller's "../x" cannot reach another endpoint.
 */
export class ContainersApi {
  constructor(
    readonly transport: DockerTransport,
    readonly options: DockerClientOptions,
  ) {}

  /**
   * `POST /containers/create?name=`: `body` is Docker's create config (Config fields plus
   * `HostConfig` and `NetworkingConfig`). A taken name is AlreadyExists, a missing image NotFound.
   * An `eth0` sysctl goes where the negotiated API version wants it (see moveInterfaceSysctls).
   */
  async create(name: string, body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<ContainerCreateResult> {
    const sent = moveInterfaceSysctls(body, this.transport.apiVersion);
    const res = await this.transport.request(call("create_container", "POST", "/containers/create", signal, { query: name === "" ? {} : { name }, body: sent }));
    const r = JsonObjectReader.of(res.body, 'Docker "create_container" response');
    return { id: r.string("Id"), warnings: r.optStringArray("Warnings") };
  }

  /** `POST /containers/{id}/start`; false when it was already running (304). */
  async start(id: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.transport.request(call("start_container", "POST", `/containers/${segment(id)}/start`, signal));
    return res.status !== 304;
  }

  /**
   * `POST /containers/{id}/stop?t=`: SIGTERM (or the image's stop signal), SIGKILL after
   * `timeoutSeconds`. The HTTP call may legitimately take that long, so its own timeout is extended
   * by it. False when the container was not running (304).
   */
  async stop(id: string, timeoutSeconds: number, signal?: AbortSignal): Promise<boolean> {
    const t = Math.max(0, Math.floor(timeoutSeconds));
    const res = await this.transport.request(call("stop_container", "POST", `/containers/${segment(id)}/stop`, signal, {
      query: { t },
      timeoutMs: this.options.requestTimeoutMs + t * 1000,
    }));
    return res.status !== 304;
  }

  /** `POST /containers/{id}/kill?signal=`; a container that is not running is FailedPrecondition (409). */
  async kill(id: string, killSignal = "SIGKILL", signal?: AbortSignal): Promise<void> {
    await this.transport.request(call("kill_container", "POST", `/containers/${segment(id)}/kill`, signal, { query: { signal: killSignal } }));
  }

  /** `DELETE /containers/{id}?force=&v=`; an unknown container is NotFound. */
  async remove(id: string, opts: { force?: boolean; removeVolumes?: boolean } = {}, signal?: AbortSignal): Promise<void> {
    await this.transport.request(call("remove_container", "DELETE", `/containers/${segment(id)}`, signal, {
      query: { force: opts.force === true, v: opts.removeVolumes === true },
    }));
  }

  /** `POST /containers/{id}/update`; returns Docker's warnings. */
  async update(id: string, resources: ContainerResourceUpdate, signal?: AbortSignal): Promise<readonly string[]> {
    const res = await this.transport.request(call("update_container", "POST", `/containers/${segment(id)}/update`, signal, { body: resources }));
    return res.body === undefined ? [] : JsonObjectReader.of(res.body, 'Docker "update_container" response').optStringArray("Warnings");
  }

  /**
   * `GET /containers/{id}/json` by id, id prefix or name; unknown is NotFound. `fresh` asks for
   * Docker's own answer where a subclass could answer from memory (see CachedContainersApi): a read
   * that decides a write passes it. This class always asks Docker.
   */
  async inspect(idOrName: string, signal?: AbortSignal, _opts: ReadOptions = {}): Promise<ContainerInspect> {
    if (idOrName === "") throw new CriError("InvalidArgument", "Cannot inspect a container without an id");
    const res = await this.transport.request(call("inspect_container", "GET", `/containers/${segment(idOrName)}/json`, signal));
    return parseContainerInspect(res.body);
  }

  /** `GET /containers/json`; `all` includes containers that are not running; `fresh` as for inspect. */
  async list(opts: { all?: boolean; filters?: ContainerListFilters } & ReadOptions = {}, signal?: AbortSignal): Promise<ContainerSummary[]> {
    const filters: Record<string, readonly string[]> = {};
    const given = opts.filters ?? {};
    for (const key of ["label", "id", "name", "status"] as const) {
      const values = given[key];
      if (values !== undefined && values.length > 0) filters[key] = values;
    }
    const query: Record<string, QueryValue> = { all: opts.all === true };
    if (Object.keys(filters).length > 0) query.filters = filters;
    const res = await this.transport.request(call("list_containers", "GET", "/containers/json", signal, { query }));
    return parseContainerList(res.body);
  }
}

/** How a read may be answered. */
export interface ReadOptions {
  /** Docker's own answer, never a cached one: for reads that decide a write. */
  readonly fresh?: boolean;
}

/** Docker container ids and names: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, optionally with the leading "/" of a name. */
const idOrNamePattern = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * The path segment for an id or name. Something no container can be called is NotFound without
 * asking Docker, whose HTTP server would answer a cleaned-up path ("..", "/") with a redirect.
 */
function segment(idOrName: string): string {
  if (!idOrNamePattern.test(idOrName)) throw new CriError("NotFound", `No such container: "${idOrName}"`);
  return encodeURIComponent(idOrName.replace(/^\//, ""));
}
