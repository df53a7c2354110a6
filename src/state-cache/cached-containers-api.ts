import { ContainersApi, type ContainerInspect, type ContainerListFilters, type ContainerSummary, type DockerClientOptions, type DockerTransport, type ReadOptions } from "../docker/index.js";
import type { StateCache } from "./state-cache.js";
import { TrackingTransport } from "./tracking-transport.js";

/**
 * Docker's container endpoints with `inspect` and `list` answered by the state cache: a drop-in
 * ContainersApi for the sandbox and container RPCs. A read passing `fresh` (one that decides a write:
 * which containers to stop, whether a name is free) always goes to Docker. Every other call goes to Docker through a
 * TrackingTransport that marks what it changes dirty in the cache. A list is served from memory only
 * when it asks for the cache's label (the CRI lists always do) and filters the cache understands;
 * anything else, and everything while the cache is not synced, goes to Docker unchanged.
 */
export class CachedContainersApi extends ContainersApi {
  readonly #cache: StateCache;
  readonly #labels: readonly string[];

  /**
   * `label` is the cache's; `impliedBy` are label keys only ever set together with it (the sandbox id
   * label, which docker-cri and cri-dockerd put only on containers that carry the type label), so a
   * list filtered by one of them is served from the cache too.
   */
  constructor(transport: DockerTransport, options: DockerClientOptions, cache: StateCache, label: string, impliedBy: readonly string[] = []) {
    super(new TrackingTransport(transport, (id) => { cache.markDirty(id); }), options);
    this.#cache = cache;
    this.#labels = [label, ...impliedBy];
  }

  override async inspect(idOrName: string, signal?: AbortSignal, opts: ReadOptions = {}): Promise<ContainerInspect> {
    if (idOrName === "" || opts.fresh === true || !this.#cache.synced) return super.inspect(idOrName, signal);
    return this.#cache.inspect(idOrName, signal ?? new AbortController().signal);
  }

  override async list(opts: { all?: boolean; filters?: ContainerListFilters } & ReadOptions = {}, signal?: AbortSignal): Promise<ContainerSummary[]> {
    const filters = opts.filters ?? {};
    if (opts.fresh === true || !this.#cache.synced || !this.#servable(filters)) return super.list(opts, signal);
    const matches = filterPredicate(filters);
    const all = await this.#cache.all(signal ?? new AbortController().signal);
    const out: ContainerSummary[] = [];
    for (const c of all) if ((opts.all === true || c.state.running) && matches(c)) out.push(summaryOf(c));
    // Newest first, as Docker lists.
    return out.sort((a, b) => b.created - a.created);
  }

  #servable(f: ContainerListFilters): boolean {
    const labels = f.label ?? [];
    if (!labels.some((l) => this.#labels.some((key) => l === key || l.startsWith(`${key}=`)))) return false;
    // Only filters this class evaluates; any other (name, or one added to ContainerListFilters later) goes to Docker.
    if (Object.entries(f).some(([key, values]) => !servedFilters.has(key) && Array.isArray(values) && values.length > 0)) return false;
    // Docker reads id filters as regular expressions; plain hex is a substring match, anything else is Docker's to interpret.
    return (f.id ?? []).every((id) => /^[0-9a-f]*$/.test(id));
  }
}

const servedFilters: ReadonlySet<string> = new Set(["label", "id", "status"]);

/**
 * Docker's list filters as one predicate: values of one key are ORed except labels, which must all
 * match; keys are ANDed. The filters are parsed once here, not once per container (a relist tests
 * every cached container).
 */
export function filterPredicate(f: ContainerListFilters): (c: ContainerInspect) => boolean {
  const labels = (f.label ?? []).map((l) => {
    const eq = l.indexOf("=");
    return eq < 0 ? { key: l, value: undefined } : { key: l.slice(0, eq), value: l.slice(eq + 1) };
  });
  const ids = f.id ?? [];
  const statuses = f.status ?? [];
  return (c) => {
    for (const { key, value } of labels) {
      const v = c.config.labels[key];
      if (v === undefined || (value !== undefined && v !== value)) return false;
    }
    if (ids.length > 0 && !ids.some((id) => c.id.includes(id))) return false;
    return statuses.length === 0 || statuses.includes(c.state.status);
  };
}

/** The list entry Docker would give for an inspected container (its human Status text approximated). */
export function summaryOf(c: ContainerInspect): ContainerSummary {
  const createdMs = Date.parse(c.created);
  return {
    id: c.id,
    names: c.name === "" ? [] : [c.name.startsWith("/") ? c.name : `/${c.name}`],
    image: c.config.image,
    imageId: c.imageId,
    created: Number.isNaN(createdMs) ? 0 : Math.floor(createdMs / 1000),
    state: c.state.status,
    status: c.state.running ? "Up" : c.state.status === "exited" ? `Exited (${c.state.exitCode})` : c.state.status === "created" ? "Created" : c.state.status,
    labels: c.config.labels,
  };
}
