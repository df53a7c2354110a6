import { closeSync, openSync } from "node:fs";
import { readFromStart, readPseudoFile, type ReadPseudoFile } from "./cgroup-files.js";
import { fillSlots, slotUnreadable, slotsOf, type CounterFile, type CounterValues } from "./counter-files.js";
import type { ReadValues } from "./read-files.js";

export interface HeldCgroupFilesOptions {
  /** A file not read for this long is closed (default 25 s: the kubelet reads stats every 10 s). */
  readonly closeAfterMs?: number;
  /** How often unused files are looked for while any is held (default 10 s). */
  readonly sweepEveryMs?: number;
  /**
   * At most this many files are held; past it, reads open and close as readPseudoFile does. Default:
   * a quarter of the open-file limit, at most 4096, so sockets and logs never run short.
   */
  readonly maxHeld?: number;
  readonly now?: () => number;
  /** The read-files addon's readValues: readValues then reads and parses off the event loop (else one by one, as read does). */
  readonly readValues?: ReadValues;
}

interface Held {
  readonly fd: number;
  usedAt: number;
}

/**
 * cgroup files kept open and read again from offset 0. The kernel regenerates a cgroup file's text on
 * every read from its start, so a held file reads as fresh as a new open; what it saves is the path
 * walk, open, fstat and close, which on this 2-core host cost 13 µs of a small file's 15 (memory.stat:
 * 26 µs opened each time, 11 µs held), paid for every counter of every container on each stats call.
 *
 * A removed cgroup's files fail with ENODEV from then on, also when a cgroup of the same name is made
 * again (a restarted container): any failure closes the file and opens the path once more, so a read
 * is never answered by a cgroup that is gone. Only cgroupfs may be read through this: a regular file
 * deleted and written again would keep reading the old one. Pid lists (cgroup.procs, tasks) are not
 * held (see holdable).
 *
 * Files not read for `closeAfterMs` are closed by a sweep that runs only while some are held (so an
 * idle docker-cri with no pods has no timer), and none is held past `maxHeld`. Node opens with
 * O_CLOEXEC, so child processes (CNI plugins, runc through Docker) never inherit them.
 *
 * readValues reads a batch through the read-files addon on pool threads. While a batch is out, the
 * descriptors it reads are not closed (a descriptor number reused by another open would be read in
 * its place): a close then waits for the batch to end. Batches run one after another (side by side,
 * two pool threads and the event loop made every call slower on a 2-core host), and a read meanwhile
 * of a file the batch is reading opens it afresh: two threads reading one open file at once could mix
 * two renderings of it.
 */
export class HeldCgroupFiles {
  readonly #held = new Map<string, Held>();
  readonly #closeAfterMs: number;
  readonly #sweepEveryMs: number;
  readonly #maxHeld: number;
  readonly #now: () => number;
  readonly #readValues: ReadValues | undefined;
  #sweep: NodeJS.Timeout | undefined;
  /** Batches out on pool threads, the descriptors they read, and the descriptors whose close waits for them. */
  #reading = 0;
  readonly #inFlight = new Set<number>();
  #closeAfterBatch: number[] = [];
  /** Batches out or waiting, and the end of the last of them. */
  #batches = 0;
  #lastBatch: Promise<void> | undefined;

  constructor(opts: HeldCgroupFilesOptions = {}) {
    this.#closeAfterMs = opts.closeAfterMs ?? 25_000;
    this.#sweepEveryMs = opts.sweepEveryMs ?? 10_000;
    this.#maxHeld = opts.maxHeld ?? defaultMaxHeld();
    this.#now = opts.now ?? (() => performance.now());
    this.#readValues = opts.readValues;
  }

  /** The file's whole text now; undefined when it cannot be read (see readPseudoFile). */
  readonly read: ReadPseudoFile = (path) => {
    if (!holdable(path)) return readPseudoFile(path);
    const held = this.#held.get(path);
    // A batch on a pool thread is reading this descriptor: read the file through a new one.
    if (held !== undefined && this.#inFlight.has(held.fd)) return readPseudoFile(path);
    if (held !== undefined) {
      const text = readHeld(held.fd);
      if (text !== undefined) {
        held.usedAt = this.#now();
        return text;
      }
      this.#close(path, held);
    }
    if (this.#held.size >= this.#maxHeld) return readPseudoFile(path);
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      return undefined;
    }
    const text = readHeld(fd);
    if (text === undefined) {
      closeQuietly(fd);
      return undefined;
    }
    this.#hold(path, fd);
    return text;
  };

  /**
   * The values of many files at once (counter-files.ts: each file's slots one after another, in the
   * files' order), as read and a parse of its text would give them, read and parsed on a pool thread
   * when the addon is given. A file read for the first time is opened here and held; one that cannot be
   * opened is tried by path on the pool thread (unreadable if it still fails); a held one whose read
   * fails goes through read (which opens it afresh, for a cgroup made again) and is parsed here.
   */
  readValues(files: readonly CounterFile[]): Promise<CounterValues> {
    const readValues = this.#readValues;
    if (readValues === undefined) return Promise.resolve(this.#valuesOneByOne(files));
    // Started at once when no batch is out or waiting (its descriptors are then pinned before this
    // returns), else after the last one; the last to end leaves none behind before its caller resumes.
    const start = async (): Promise<CounterValues> => {
      try {
        return await this.#readBatch(readValues, files);
      } finally {
        this.#batches--;
        if (this.#batches === 0) this.#lastBatch = undefined;
      }
    };
    const after = this.#lastBatch;
    this.#batches++;
    const batch = after === undefined ? start() : after.then(start);
    this.#lastBatch = batch.then(() => undefined, () => undefined);
    return batch;
  }

  #valuesOneByOne(files: readonly CounterFile[]): CounterValues {
    const out = emptyValues(files);
    let slot = 0;
    for (const file of files) {
      fillSlots(out, slot, file, this.read(file.path));
      slot += slotsOf(file);
    }
    return out;
  }

  async #readBatch(readValues: ReadValues, files: readonly CounterFile[]): Promise<CounterValues> {
    if (files.length === 0) return emptyValues(files);
    const items: (number | string)[] = [];
    const keys: (readonly string[] | undefined)[] = [];
    const pinned: number[] = [];
    for (const file of files) {
      const item = this.#itemFor(file.path) ?? file.path;
      items.push(item);
      keys.push(file.keys);
      if (typeof item === "number") {
        this.#inFlight.add(item);
        pinned.push(item);
      }
    }
    let values: BigUint64Array;
    let states: Uint8Array;
    this.#reading++;
    try {
      [values, states] = await readValues(items, keys);
    } finally {
      for (const fd of pinned) this.#inFlight.delete(fd);
      this.#reading--;
      if (this.#reading === 0) {
        for (const fd of this.#closeAfterBatch) closeQuietly(fd);
        this.#closeAfterBatch = [];
      }
    }
    const out = { values, states };
    let slot = 0;
    for (let i = 0; i < files.length; i++) {
      const file = files[i] as CounterFile;
      // A held descriptor that failed (a cgroup removed, perhaps made again): read the path afresh.
      if (typeof items[i] === "number" && states[slot] === slotUnreadable) fillSlots(out, slot, file, this.read(file.path));
      slot += slotsOf(file);
    }
    return out;
  }

  /** The held descriptor to read (opened now if need be), the path past the cap, undefined when it cannot be opened. */
  #itemFor(path: string): number | string | undefined {
    if (!holdable(path)) return path;
    const held = this.#held.get(path);
    if (held !== undefined) {
      held.usedAt = this.#now();
      return held.fd;
    }
    if (this.#held.size >= this.#maxHeld) return path;
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      return undefined;
    }
    this.#hold(path, fd);
    return fd;
  }

  #hold(path: string, fd: number): void {
    this.#held.set(path, { fd, usedAt: this.#now() });
    this.#sweep ??= setInterval(() => { this.closeUnused(); }, this.#sweepEveryMs).unref();
  }

  /** How many files are open now. */
  get size(): number {
    return this.#held.size;
  }

  /** Closes the files not read for `closeAfterMs`; the sweep calls it. */
  closeUnused(): void {
    const before = this.#now() - this.#closeAfterMs;
    for (const [path, held] of this.#held) if (held.usedAt <= before) this.#close(path, held);
  }

  /** Closes every file. */
  close(): void {
    for (const [path, held] of this.#held) this.#close(path, held);
  }

  #close(path: string, held: Held): void {
    this.#held.delete(path);
    if (this.#reading > 0) this.#closeAfterBatch.push(held.fd);
    else closeQuietly(held.fd);
    if (this.#held.size === 0 && this.#sweep !== undefined) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }
}

function emptyValues(files: readonly CounterFile[]): CounterValues {
  let n = 0;
  for (const f of files) n += slotsOf(f);
  return { values: new BigUint64Array(n), states: new Uint8Array(n) };
}

/** A quarter of this process's soft open-file limit (/proc/self/limits), at most 4096. */
function defaultMaxHeld(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readPseudoFile("/proc/self/limits") ?? "");
  const soft = m?.[1] === undefined || m[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(m[1]);
  return Math.max(0, Math.min(4096, Math.floor(soft / 4)));
}

/**
 * Counter files regenerate on every read from offset 0. A v1 cgroup.procs or tasks file does not: its
 * pid list is built at the first read after open and reused by the next ones while it lives (the
 * kernel keeps it a second after the last read), so those are opened each time.
 */
function holdable(path: string): boolean {
  return !path.endsWith("/cgroup.procs") && !path.endsWith("/tasks");
}

/** The file's text from offset 0 (readFromStart); undefined when it cannot be read now. */
function readHeld(fd: number): string | undefined {
  try {
    return readFromStart(fd);
  } catch {
    return undefined;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing to release.
  }
}
