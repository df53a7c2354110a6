import type { ContainerInspect } from "../docker/index.js";

export interface Entry {
  readonly inspect: ContainerInspect;
  /** The cache's sequence number when the inspect was started. */
  readonly seq: number;
  /**
   * Built from Docker's list because the inspect did not answer in time (Docker holds a container's
   * lock while it is busy with it): good for lists, not for a status, which then asks Docker.
   */
  readonly partial?: boolean;
}

/**
 * The cache's containers by id, with Docker's lookup rules for an inspect argument: full id, then
 * name (with or without the leading "/"), then unique id prefix.
 */
export class ContainerIndex {
  #byId = new Map<string, Entry>();
  #byName = new Map<string, string>();

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): Entry | undefined {
    return this.#byId.get(id);
  }

  put(inspect: ContainerInspect, seq: number, partial = false): void {
    const old = this.#byId.get(inspect.id);
    if (old !== undefined) this.#byName.delete(bare(old.inspect.name));
    this.#byId.set(inspect.id, partial ? { inspect, seq, partial } : { inspect, seq });
    if (inspect.name !== "") this.#byName.set(bare(inspect.name), inspect.id);
  }

  delete(id: string): void {
    const old = this.#byId.get(id);
    if (old === undefined) return;
    this.#byId.delete(id);
    if (this.#byName.get(bare(old.inspect.name)) === id) this.#byName.delete(bare(old.inspect.name));
  }

  replace(entries: ReadonlyMap<string, Entry>): void {
    this.#byId = new Map(entries);
    this.#byName = new Map();
    for (const [id, e] of entries) if (e.inspect.name !== "") this.#byName.set(bare(e.inspect.name), id);
  }

  all(): ContainerInspect[] {
    return [...this.#byId.values()].map((e) => e.inspect);
  }

  /** The container `idOrName` designates, "ambiguous" for a prefix of several, undefined for none. */
  resolve(idOrName: string): Entry | "ambiguous" | undefined {
    if (idOrName === "") return undefined;
    const exact = this.#byId.get(idOrName);
    if (exact !== undefined) return exact;
    const named = this.#byName.get(bare(idOrName));
    if (named !== undefined) return this.#byId.get(named);
    if (!/^[0-9a-f]+$/.test(idOrName)) return undefined;
    let found: Entry | undefined;
    for (const [id, e] of this.#byId) {
      if (!id.startsWith(idOrName)) continue;
      if (found !== undefined) return "ambiguous";
      found = e;
    }
    return found;
  }
}

function bare(name: string): string {
  return name.startsWith("/") ? name.slice(1) : name;
}
