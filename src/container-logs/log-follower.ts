/**
 * Copies one container's Docker json-file log into its CRI log file, following it like `tail -F`.
 *
 *   resume ──► following ──stop()/close()──► done
 *                │   ▲
 *   inotify / sweep: pump (read from the offset towards EOF, convert, append, advance), in
 *   rounds of 8 MiB so that a reopen or stop queued meanwhile is not held up by a backlog
 *   reopen(): swap the CRI file between two pumps
 *
 * Every operation (pump, reopen, stop) runs on one queue, so the CRI file never changes under a
 * pump. The offset and the CRI size only ever change together, in one synchronous step after the
 * bytes reached the kernel, so a state snapshot taken at any moment pairs "Docker bytes up to
 * `offset` are in the CRI file up to `size`". Snapshots are saved after a delay (batching), and
 * immediately (fsynced) on start, reopen and stop. Resuming cuts the CRI file back to the saved size
 * and reads Docker's file from the saved offset: what was written after the last save is written
 * again exactly once (cri-log-file.ts). That was chosen over de-duplicating by timestamp, which
 * cannot tell apart two entries of one nanosecond nor stdout and stderr entries that Docker wrote
 * slightly out of time order; timestamps are only the fallback when the state itself is lost.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { CriError, errorMessage } from "../errors/index.js";
import type { Logger } from "../logger/index.js";
import type { CopyState } from "./copy-state.js";
import { CopyStateSaver } from "./copy-state-saver.js";
import { resumeCriFile, openCriFile, type CriFile } from "./cri-log-file.js";
import { closeAll, inodeOf, locateSource, openDockerLogChain, resumeSources, type SourceFile } from "./docker-log-chain.js";
import { jsonFileToCri } from "./json-file-to-cri.js";
import { writeAll } from "./write-all.js";

export interface FollowerTuning {
  /** Delay before a changed offset is saved (batching state writes). */
  readonly stateSaveDelayMs: number;
  /** Delay between a file event and the pump, so that a burst of Docker writes is copied in one go. */
  readonly coalesceMs: number;
  /** Bytes read per step. */
  readonly readChunkBytes: number;
}

export interface FollowerOptions extends FollowerTuning {
  readonly containerId: string;
  readonly dockerLogPath: string;
  readonly criLogPath: string;
  readonly stateDir: string;
  readonly log: Logger;
}

/** The first bytes of a Docker file kept in the state, to recognise it by more than its inode. */
const headBytes = 128;
/** A json-file line longer than this is not Docker's (it cuts at 16 KiB before escaping); it is skipped. */
const maxLineBytes = 64 * 1024 * 1024;
/** Bytes of Docker's file copied in one turn on the queue before others get theirs. */
const roundBytes = 8 * 1024 * 1024;
/** Rounds a flush or a stop copies at most (2 GiB), against a container that never stops writing. */
const maxDrainRounds = 256;
/** At most one warning per follower in this period for the same kind of trouble. */
const warnEveryMs = 60_000;

export class LogFollower {
  readonly containerId: string;
  readonly dockerLogPath: string;
  readonly criLogPath: string;
  readonly #opts: FollowerOptions;
  readonly #log: Logger;
  /** [0] is being read at #offset; the rest are newer files after a rotation, read from 0. */
  #sources: SourceFile[] = [];
  #offset = 0;
  #head: Buffer = Buffer.alloc(0);
  #skipThroughNs: bigint | undefined;
  #cri: CriFile;
  #watcher: FSWatcher | undefined;
  #queue: Promise<void> = Promise.resolve();
  #pumpQueued = false;
  #kickTimer: NodeJS.Timeout | undefined;
  readonly #saver: CopyStateSaver;
  #stopped = false;
  /** No more pumps or saves once set (stop, close). */
  #ending = false;
  readonly #lastWarned = new Map<string, number>();

  private constructor(opts: FollowerOptions, cri: CriFile, skipThroughNs: bigint | undefined) {
    this.#opts = opts;
    this.containerId = opts.containerId;
    this.dockerLogPath = opts.dockerLogPath;
    this.criLogPath = opts.criLogPath;
    this.#log = opts.log;
    this.#cri = cri;
    this.#skipThroughNs = skipThroughNs;
    this.#saver = new CopyStateSaver(opts.stateDir, opts.stateSaveDelayMs, () => this.#snapshot(), (err) => {
      this.#warnOnce("save", "Saving the container log copy state failed", err);
    });
  }

  /**
   * Starts following: from the saved state if there is one, else from Docker's first byte (the
   * oldest rotated file still there). Saves the state at once, so that a crash before the first
   * batch still finds the paths and the offset.
   */
  static async resume(opts: FollowerOptions, state: CopyState | undefined): Promise<LogFollower> {
    const { sources, offset, head } = await resumeSources(opts.dockerLogPath, state?.source ?? null, opts.log);
    let resumed;
    try {
      const recorded = state?.cri == null ? undefined : { ino: BigInt(state.cri.ino), size: state.cri.size };
      resumed = await resumeCriFile(opts.criLogPath, recorded, opts.log);
    } catch (err) {
      await closeAll(sources);
      throw err;
    }
    // Skipping by time: from this start if it found lines but no state, else as the state says.
    const saved = state?.skipThroughNs;
    const skipThroughNs = state === undefined ? resumed.skipThroughNs : saved == null ? undefined : BigInt(saved);
    const follower = new LogFollower(opts, resumed.file, skipThroughNs);
    follower.#sources = sources;
    follower.#offset = offset;
    follower.#head = head;
    try {
      await follower.#saver.now(true);
    } catch (err) {
      await follower.#release();
      throw err;
    }
    follower.#watch();
    follower.#queuePump();
    return follower;
  }

  /** Asks for a pump soon (file event, sweep). Bursts are merged. */
  kick(): void {
    if (this.#ending || this.#kickTimer !== undefined || this.#pumpQueued) return;
    this.#kickTimer = setTimeout(() => {
      this.#kickTimer = undefined;
      this.#queuePump();
    }, this.#opts.coalesceMs);
    this.#kickTimer.unref();
  }

  /** Copies everything Docker has written so far. */
  flush(): Promise<void> {
    return this.#enqueue(() => this.#drain(maxDrainRounds));
  }

  /**
   * Closes the CRI file and opens its path again (creating it): after the kubelet renamed it, the
   * next line goes to a fresh file. Between two pumps, so the old file is complete and no line is
   * split between the two. The new file is in the state before anything is written to it.
   */
  reopen(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#ending) throw new CriError("FailedPrecondition", `Container "${this.containerId}" log is no longer being copied: cannot reopen it`);
      const next = await openCriFile(this.criLogPath);
      const old = this.#cri;
      this.#cri = next;
      try {
        await this.#saver.now(true);
      } catch (err) {
        // The kubelet renames the old file back when reopen fails: keep writing to it.
        this.#cri = old;
        await next.handle.close();
        throw err;
      }
      await old.handle.close();
      this.#queuePump();
    });
  }

  /**
   * Final copy, then stop following; `stopped` is recorded so that the state says the copy is
   * complete. Without it (shutdown), a later resume picks up where this left off.
   */
  end(stopped: boolean): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#ending) return;
      try {
        // Stopped: the container is done writing, copy all. Shutdown: one round; the rest is
        // copied on resume, and a container that never stops writing cannot hold up the exit.
        await this.#drain(stopped ? maxDrainRounds : 1);
      } catch (err) {
        this.#log.warn({ err: errorMessage(err) }, "Final copy of the container log failed");
      }
      this.#ending = true;
      this.#stopped = stopped;
      this.#saver.cancel();
      clearTimeout(this.#kickTimer);
      this.#kickTimer = undefined;
      try {
        await this.#saver.now(true);
      } finally {
        await this.#release();
      }
    });
  }

  #watch(): void {
    // The directory, not the file: a watch on the file would stay on the renamed file after
    // Docker rotates it, and miss the new one. Docker's container directory changes rarely
    // otherwise; events for other names are ignored.
    const base = basename(this.dockerLogPath);
    try {
      const watcher = watch(dirname(this.dockerLogPath), { persistent: false }, (_event, name) => {
        if (name === null || name === base || name.startsWith(`${base}.`)) this.kick();
      });
      watcher.on("error", (err) => {
        this.#warnOnce("watch", "Watching the Docker log directory failed; copying on the periodic sweep only", err);
        watcher.close();
        if (this.#watcher === watcher) this.#watcher = undefined;
      });
      this.#watcher = watcher;
    } catch (err) {
      this.#warnOnce("watch", "Cannot watch the Docker log directory; copying on the periodic sweep only", err);
    }
  }

  #queuePump(): void {
    if (this.#ending || this.#pumpQueued) return;
    this.#pumpQueued = true;
    this.#enqueue(async () => {
      this.#pumpQueued = false;
      // A round at a time, queued again behind whatever else is waiting: a container writing
      // faster than we copy must not starve a reopen or a stop.
      if (!(await this.#pump())) this.#queuePump();
    }).catch((err: unknown) => {
      this.#warnOnce("pump", "Copying the container log failed; retrying on the next change", err);
    });
  }

  #enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #drain(maxRounds: number): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      if (await this.#pump()) return;
    }
  }

  /**
   * One round: reads the Docker files from the offset towards their end (following rotations), up
   * to `roundBytes`. True when it reached the end. Runs on the queue only.
   */
  async #pump(): Promise<boolean> {
    if (this.#ending) return true;
    let copied = 0;
    let drained = true;
    for (;;) {
      if (copied >= roundBytes) {
        drained = false;
        break;
      }
      let current = this.#sources[0];
      if (current === undefined) {
        // Not there yet when following began (or the container is gone): look again.
        const chain = await openDockerLogChain(this.dockerLogPath);
        current = chain[0];
        if (current === undefined) break;
        this.#setSources(chain);
      }
      const step = await this.#copyStep(current);
      if (typeof step === "number") {
        copied += step;
        continue;
      }
      if (step === "truncated") {
        this.#warnOnce("truncated", "The Docker log file was truncated in place (max-file=1); copying it from its start", undefined);
        this.#setSources(this.#sources);
        continue;
      }
      // At the end of `current`.
      if (this.#sources.length > 1) {
        const size = (await current.handle.stat()).size;
        if (size > this.#offset) this.#warnOnce("torn", "A rotated Docker log file ends in an unfinished line; dropping it", undefined);
        await current.handle.close();
        this.#setSources(this.#sources.slice(1));
        copied++; // the state changed: save it
        continue;
      }
      const ino = await inodeOf(this.dockerLogPath);
      if (ino === undefined || ino === current.ino) break;
      // Docker rotated the file. While we hold `current` open its inode cannot be reused, so it is
      // found by inode alone; the files after it are newer. `current` is read to its end again
      // before moving on: Docker may have written to it between our last read and the rename.
      const chain = await openDockerLogChain(this.dockerLogPath);
      const i = await locateSource(chain, current.ino, Buffer.alloc(0));
      await closeAll(chain.slice(0, i + 1));
      const newer = chain.slice(i + 1);
      if (newer.length === 0) break;
      this.#sources = [current, ...newer];
    }
    if (copied > 0) this.#saver.soon();
    return drained;
  }

  /** Moves to a new first file at offset 0; one synchronous step, for consistent snapshots. */
  #setSources(sources: SourceFile[]): void {
    this.#sources = sources;
    this.#offset = 0;
    this.#head = Buffer.alloc(0);
  }

  /**
   * One read, convert and append; returns the bytes consumed. Offset and CRI size advance together,
   * once the bytes are written.
   */
  async #copyStep(source: SourceFile): Promise<number | "end" | "truncated"> {
    const size = (await source.handle.stat()).size;
    if (size < this.#offset) return "truncated";
    let want = Math.min(size - this.#offset, this.#opts.readChunkBytes);
    for (;;) {
      if (want === 0) return "end";
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await source.handle.read(buf, 0, want, this.#offset);
      if (bytesRead === 0) return "end";
      const chunk = buf.subarray(0, bytesRead);
      const converted = jsonFileToCri(chunk, this.#skipThroughNs);
      if (converted.consumed === 0) {
        if (bytesRead < size - this.#offset && want < maxLineBytes) {
          want = Math.min(size - this.#offset, want * 2, maxLineBytes); // a line longer than one chunk
          continue;
        }
        if (bytesRead < maxLineBytes) return "end"; // an unfinished line: Docker is writing it
        this.#warnOnce("long", "Skipping a Docker log line longer than 64 MiB", undefined);
        this.#advance(chunk, bytesRead, 0);
        return bytesRead;
      }
      if (converted.skipped > 0) this.#warnOnce("skipped", `Skipping ${converted.skipped} lines that are not json-file entries, first: ${JSON.stringify(converted.firstSkipped)}`, undefined);
      const data = Buffer.from(converted.text, "utf8");
      if (data.length > 0) await writeAll(this.#cri.handle, data, this.#cri.size);
      this.#skipThroughNs = converted.stillSkipping ? this.#skipThroughNs : undefined;
      this.#advance(chunk, converted.consumed, data.length);
      return converted.consumed;
    }
  }

  #advance(chunk: Buffer, consumed: number, written: number): void {
    if (this.#offset === 0) this.#head = Buffer.from(chunk.subarray(0, Math.min(headBytes, consumed)));
    this.#offset += consumed;
    this.#cri.size += written;
  }

  #snapshot(): CopyState {
    const current = this.#sources[0];
    return {
      containerId: this.containerId,
      mode: "cri",
      dockerLogPath: this.dockerLogPath,
      criLogPath: this.criLogPath,
      stopped: this.#stopped,
      source: current === undefined ? null : { ino: current.ino.toString(), offset: this.#offset, head: this.#head.toString("base64") },
      cri: { ino: this.#cri.ino.toString(), size: this.#cri.size },
      skipThroughNs: this.#skipThroughNs === undefined ? null : this.#skipThroughNs.toString(),
    };
  }

  async #release(): Promise<void> {
    this.#ending = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    await closeAll(this.#sources);
    await this.#cri.handle.close().catch(() => undefined);
  }

  #warnOnce(kind: string, message: string, err: unknown): void {
    const now = Date.now();
    const last = this.#lastWarned.get(kind);
    if (last !== undefined && now - last < warnEveryMs) return;
    this.#lastWarned.set(kind, now);
    this.#log.warn(err === undefined ? {} : { err: errorMessage(err) }, message);
  }
}
