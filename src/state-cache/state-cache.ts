import { setTimeout as sleep } from "node:timers/promises";
import type { ContainerInspect, ContainersApi, DockerTransport } from "../docker/index.js";
import { CriError, hasKind, toCriError } from "../errors/index.js";
import type { Logger } from "../logger/index.js";
import { openContainerEvents, type DockerContainerEvent } from "./docker-events.js";
import { ContainerIndex } from "./container-index.js";
import { partialInspect } from "./partial-inspect.js";
import { resyncChanges } from "./resync-changes.js";
import type { ContainerChange } from "./container-change.js";

export interface StateCacheOptions {
  /** For the event stream. */
  readonly transport: DockerTransport;
  /** Docker itself (not a cached view): list and inspect for resyncs, refreshes and misses. */
  readonly containers: Pick<ContainersApi, "list" | "inspect">;
  /** Only containers carrying this label key are cached (io.kubernetes.docker.type). */
  readonly label: string;
  readonly log: Logger;
  /**
   * Bound on each inspect the cache makes on its own. Docker answers an inspect only once it gets
   * the container's lock, which a container stuck in a long operation holds: such a container is
   * listed from Docker's list (partial) and its inspect retried in the background.
   */
  readonly inspectTimeoutMs: number;
  /** How often containers still partial are inspected again (default 2 s). */
  readonly retryIntervalMs?: number;
  /** Reconnect backoff after the stream fails: doubles from min (default 0.1 s) to max (default 1 s), back to min after a sync. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /**
   * Runs before every reconnect (not the first connect): dockerd may have come back as another
   * version, so the API version is negotiated again before the stream and the resync use it. A
   * failure counts as a failed attempt and is retried with the backoff.
   */
  readonly beforeReconnect?: (signal: AbortSignal) => Promise<void>;
}

interface Queued {
  readonly ev: DockerContainerEvent;
  readonly seq: number;
  readonly generation: number;
}

/**
 * Docker's containers (those carrying one label) kept in memory and fed by Docker's `/events`, so that
 * list and status RPCs need no Docker round trip when nothing changed.
 *
 *   start ──► subscribe to /events ──► resync (list + inspect all) ──► SYNCED: apply events in order
 *                 ▲                                                       │ stream fails / ends
 *                 └──────────── backoff (0.1 s … 1 s) ◄── UNSYNCED ◄───────┘
 *
 * The subscription is opened before the resync lists anything, so a change made during the resync
 * still arrives as an event; events are applied one at a time, each by re-inspecting the container
 * (skipped when an inspect that started after the event's arrival is already in), so the cache is
 * never behind Docker by more than the event being applied. While UNSYNCED every read goes to Docker.
 *
 * Our own writes: a Docker call docker-cri makes (start, stop, remove, …) marks the container dirty
 * (see TrackingTransport), and a read of a dirty container re-inspects it first, so a status right
 * after StartContainer never shows the container still created, whatever the event's progress.
 */
export class StateCache {
  readonly #opts: StateCacheOptions;
  readonly #index = new ContainerIndex();
  /** Last known state of containers found gone by a refresh, until their destroy event is applied. */
  readonly #gone = new Map<string, ContainerInspect>();
  /** Containers docker-cri changed (id → seq of the change); pending until re-inspected. */
  readonly #dirty = new Map<string, number>();
  readonly #listeners = new Set<(change: ContainerChange) => void>();
  readonly #stop = new AbortController();
  /** Events waiting, per container: one container's events apply in order, different containers' in parallel. */
  #queues = new Map<string, Queued[]>();
  readonly #workers = new Set<Promise<void>>();
  /** Containers with a worker applying their events (never two at once for one container). */
  readonly #active = new Set<string>();
  /** Partial entries whose inspect is to be retried. */
  readonly #retry = new Set<string>();
  #retryTimer: NodeJS.Timeout | undefined;
  #seq = 0;
  #generation = 0;
  #synced = false;
  #everSynced = false;
  #loop: Promise<void> | undefined;

  constructor(opts: StateCacheOptions) {
    this.#opts = opts;
  }

  /** True while the event stream is up and the cache answers reads. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Starts following Docker; resolves after the first sync, or after its first failure (never rejects). */
  start(): Promise<void> {
    if (this.#loop !== undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#loop = this.#run(resolve);
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#synced = false;
    if (this.#retryTimer !== undefined) clearInterval(this.#retryTimer);
    await this.#loop;
    await Promise.all(this.#workers);
  }

  /** Calls `listener` after every applied change, in order; returns the unsubscribe function. */
  onChange(listener: (change: ContainerChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A docker-cri write to `idOrName` (or the creation of `id`): the next read re-inspects it. */
  markDirty(idOrName: string): void {
    const hit = this.#index.resolve(idOrName);
    const id = hit !== undefined && hit !== "ambiguous" ? hit.inspect.id : /^[0-9a-f]{64}$/.test(idOrName) ? idOrName : undefined;
    if (id !== undefined) this.#dirty.set(id, ++this.#seq);
  }

  /**
   * Docker's inspect, from memory when synced and the container is neither dirty nor unknown (a
   * miss, ambiguity or dirty entry asks Docker). Throws NotFound like Docker.
   */
  async inspect(idOrName: string, signal: AbortSignal): Promise<ContainerInspect> {
    if (this.#synced) {
      const hit = this.#index.resolve(idOrName);
      if (hit !== undefined && hit !== "ambiguous" && hit.partial !== true) {
        const id = hit.inspect.id;
        if (!this.#dirty.has(id)) return hit.inspect;
        const fresh = await this.#refresh(id, signal);
        if (fresh === undefined) throw new CriError("NotFound", `No such container: "${idOrName}"`);
        return fresh;
      }
      if (hit === undefined) return this.#observe(idOrName, signal);
    }
    return this.#opts.containers.inspect(idOrName, signal);
  }

  /**
   * A synced miss (a container whose create event is still on its way): Docker's answer is kept as the
   * newest observation, so that the event's inspect, if it was made earlier, cannot replace it.
   */
  async #observe(idOrName: string, signal: AbortSignal): Promise<ContainerInspect> {
    const started = ++this.#seq;
    const fresh = await this.#opts.containers.inspect(idOrName, signal);
    if (this.#synced && fresh.config.labels[this.#opts.label] !== undefined && !this.#gone.has(fresh.id)) {
      const held = this.#index.get(fresh.id);
      if (held === undefined || held.seq < started) this.#index.put(fresh, started);
    }
    return fresh;
  }

  /**
   * Every cached container (dirty ones re-inspected first); from Docker (list + inspect) when not
   * synced, or when a dirty container's re-inspect does not answer in time: its entry may be stale,
   * and a list is never answered with a container as it was before docker-cri changed it.
   */
  async all(signal: AbortSignal): Promise<ContainerInspect[]> {
    if (!this.#synced) return this.#fetchAll(signal);
    if (this.#dirty.size > 0) {
      const bounded = AbortSignal.any([signal, AbortSignal.timeout(this.#opts.inspectTimeoutMs)]);
      const results = await Promise.all([...this.#dirty.keys()].map((id) => this.#refresh(id, bounded).then(() => true, () => false)));
      signal.throwIfAborted();
      if (results.includes(false)) return this.#fetchAll(signal);
    }
    return this.#index.all();
  }

  /** The cached container without any Docker call (undefined when unknown, ambiguous or not synced). */
  peek(idOrName: string): ContainerInspect | undefined {
    if (!this.#synced) return undefined;
    const hit = this.#index.resolve(idOrName);
    return hit === "ambiguous" ? undefined : hit?.inspect;
  }

  /** Every cached container, no Docker call, possibly dirty; empty when not synced. For the samplers. */
  peekAll(): readonly ContainerInspect[] {
    return this.#synced ? this.#index.all() : [];
  }

  async #run(firstSync: () => void): Promise<void> {
    const min = this.#opts.reconnectMinMs ?? 100;
    // At most 1 s between attempts: the cache must be back within 2 s of dockerd answering again
    // (test/chaos/dockerd-outage); a failing connect to a unix socket costs next to nothing.
    const max = this.#opts.reconnectMaxMs ?? 1_000;
    let delay = min;
    let first = true;
    while (!this.#stop.signal.aborted) {
      const generation = ++this.#generation;
      const streamAbort = new AbortController();
      const signal = AbortSignal.any([this.#stop.signal, streamAbort.signal]);
      try {
        if (!first) await this.#opts.beforeReconnect?.(signal);
        first = false;
        const events = await openContainerEvents(this.#opts.transport, this.#opts.label, signal);
        const pumped = (async () => {
          for await (const ev of events) this.#enqueue(ev, generation);
        })().then(() => undefined, (err: unknown) => err);
        const missed = await this.#resync(signal);
        this.#synced = true;
        for (const change of missed) this.#emit(change);
        delay = min;
        this.#opts.log.info({ containers: this.#index.size, partial: this.#retry.size }, "Container state cache synced with Docker");
        firstSync();
        for (const id of this.#queues.keys()) this.#work(id);
        const ended = await pumped;
        throw ended === undefined ? new CriError("Unavailable", "Docker closed its event stream") : toCriError(ended, "Docker's event stream failed");
      } catch (err) {
        this.#synced = false;
        this.#queues = new Map();
        streamAbort.abort();
        firstSync();
        if (this.#stopping()) break;
        this.#opts.log.warn({ err, retryInMs: delay }, "Lost Docker's event stream; reads go to Docker until it is back");
        await sleep(delay, undefined, { signal: this.#stop.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, max);
      }
    }
  }

  #stopping(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Replaces the whole cache with a fresh list + inspect; after a reconnect, returns what changed meanwhile. */
  async #resync(signal: AbortSignal): Promise<ContainerChange[]> {
    const startSeq = ++this.#seq;
    const listed = await this.#opts.containers.list({ all: true, filters: { label: [this.#opts.label] } }, signal);
    const fresh = new Map<string, { inspect: ContainerInspect; seq: number; partial?: boolean }>();
    const partial: string[] = [];
    await eachLimited(listed, 8, async (c) => {
      const seq = ++this.#seq;
      try {
        const inspect = await this.#inspectQuietly(c.id, signal);
        if (inspect !== undefined) fresh.set(c.id, { inspect, seq });
      } catch (err) {
        signal.throwIfAborted();
        this.#opts.log.warn({ err, containerId: c.id }, "Docker did not answer an inspect in time; listing the container from Docker's list until it does");
        fresh.set(c.id, { inspect: partialInspect(c), seq: 0, partial: true });
        partial.push(c.id);
      }
    });
    const before = this.#index.all();
    this.#index.replace(fresh);
    this.#gone.clear();
    this.#retry.clear();
    for (const id of partial) this.#retry.add(id);
    this.#retryTimer ??= setInterval(() => {
      this.#retryPartial();
    }, this.#opts.retryIntervalMs ?? 2_000);
    this.#retryTimer.unref();
    for (const [id, seq] of this.#dirty) if (seq < startSeq) this.#dirty.delete(id);
    const missed = this.#everSynced ? resyncChanges(before, this.#index.all(), BigInt(Date.now()) * 1_000_000n) : [];
    this.#everSynced = true;
    return missed;
  }

  #enqueue(ev: DockerContainerEvent, generation: number): void {
    const item = { ev, seq: ++this.#seq, generation };
    const queue = this.#queues.get(ev.id);
    if (queue !== undefined) {
      queue.push(item);
      return;
    }
    this.#queues.set(ev.id, [item]);
    if (this.#synced) this.#work(ev.id);
  }

  /** Applies one container's queued events in order; the worker ends when its queue is empty. */
  #work(id: string): void {
    if (this.#active.has(id)) return;
    this.#active.add(id);
    const worker = (async () => {
      for (;;) {
        const queue = this.#queues.get(id);
        const item = queue?.[0];
        if (queue === undefined || item === undefined || !this.#synced) {
          if (queue?.length === 0) this.#queues.delete(id);
          return;
        }
        if (item.generation === this.#generation) {
          try {
            await this.#apply(item);
          } catch (err) {
            this.#opts.log.warn({ err, containerId: id, action: item.ev.action }, "Cannot apply a Docker event to the state cache; retrying its inspect in the background");
            if (this.#index.get(id) !== undefined) this.#retry.add(id);
          }
        }
        queue.shift();
      }
    })();
    this.#workers.add(worker);
    void worker.finally(() => {
      this.#workers.delete(worker);
      this.#active.delete(id);
    });
  }

  /** Inspects partial containers again; each one that answers becomes a full entry. */
  #retryPartial(): void {
    if (!this.#synced) return;
    for (const id of this.#retry) {
      this.#retry.delete(id);
      void this.#refresh(id, AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#opts.inspectTimeoutMs)])).catch(() => {
        if (this.#index.get(id) !== undefined) this.#retry.add(id);
      });
    }
  }

  async #apply({ ev, seq }: Queued): Promise<void> {
    const held = this.#index.get(ev.id);
    const previous = held?.inspect ?? this.#gone.get(ev.id);
    if (ev.action === "destroy") {
      this.#index.delete(ev.id);
      this.#gone.delete(ev.id);
      this.#dirty.delete(ev.id);
      this.#emit({ action: ev.action, id: ev.id, timeNano: ev.timeNano, current: undefined, previous, replayed: false });
      return;
    }
    let current = held !== undefined && held.seq > seq ? held.inspect : undefined;
    if (current === undefined) {
      const started = ++this.#seq;
      current = await this.#inspectQuietly(ev.id, this.#stop.signal);
      // Gone already: its destroy event follows and reports it.
      if (current === undefined) return;
      if (this.#gone.has(ev.id)) return;
      // A later observation never loses to an earlier one: a refresh that started after this inspect
      // (a read of a container docker-cri just changed) may have answered first; its entry stays.
      const now = this.#index.get(ev.id);
      if (now === undefined || now.seq < started) this.#index.put(current, started);
      else current = now.inspect;
    }
    this.#emit({ action: ev.action, id: ev.id, timeNano: ev.timeNano, current, previous, replayed: false });
  }

  /** Re-inspects a dirty container; a container found gone leaves the cache at once (read-your-writes for remove). */
  async #refresh(id: string, signal: AbortSignal): Promise<ContainerInspect | undefined> {
    const started = ++this.#seq;
    try {
      const fresh = await this.#opts.containers.inspect(id, signal);
      const held = this.#index.get(id);
      if ((held === undefined || held.seq < started) && !this.#gone.has(id)) this.#index.put(fresh, started);
      if ((this.#dirty.get(id) ?? 0) < started) this.#dirty.delete(id);
      return fresh;
    } catch (err) {
      if (!hasKind(err, "NotFound")) throw err;
      const held = this.#index.get(id);
      if (held !== undefined) this.#gone.set(id, held.inspect);
      this.#index.delete(id);
      this.#dirty.delete(id);
      return undefined;
    }
  }

  async #inspectQuietly(id: string, signal: AbortSignal): Promise<ContainerInspect | undefined> {
    try {
      return await this.#opts.containers.inspect(id, AbortSignal.any([signal, AbortSignal.timeout(this.#opts.inspectTimeoutMs)]));
    } catch (err) {
      if (hasKind(err, "NotFound")) return undefined;
      throw err;
    }
  }

  async #fetchAll(signal: AbortSignal): Promise<ContainerInspect[]> {
    const listed = await this.#opts.containers.list({ all: true, filters: { label: [this.#opts.label] } }, signal);
    const out: ContainerInspect[] = [];
    await eachLimited(listed, 8, async (c) => {
      try {
        out.push(await this.#opts.containers.inspect(c.id, signal));
      } catch (err) {
        if (!hasKind(err, "NotFound")) throw err;
      }
    });
    return out;
  }

  #emit(change: ContainerChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        this.#opts.log.error({ err, containerId: change.id }, "A state cache listener failed");
      }
    }
  }
}

/** Runs `fn` over `items`, at most `width` at a time. */
async function eachLimited<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++];
        if (item !== undefined) await fn(item);
      }
    }),
  );
}
