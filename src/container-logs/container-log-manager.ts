import { isAbsolute } from "node:path";
import { CriError, errorMessage } from "../errors/index.js";
import type { Logger } from "../logger/index.js";
import { KeyedMutex } from "../util/keyed-mutex.js";
import { makeDirs } from "../util/make-dirs.js";
import {
  checkContainerId,
  listCopyStates,
  readCopyState,
  removeCopyState,
  writeCopyState,
  type ContainerLogMode,
  type CopyState,
} from "./copy-state.js";
import { inodeOf } from "./docker-log-chain.js";
import { linkJsonLog, unlinkJsonLog } from "./json-log-symlink.js";
import { LogFollower, type FollowerTuning } from "./log-follower.js";

/** What the container RPCs need: docker-cri writes each container's CRI log file itself. */
export interface ContainerLogManager {
  /** Start (or resume after a restart) copying the container's output to criLogPath. Idempotent. */
  start(containerId: string, dockerLogPath: string, criLogPath: string): Promise<void>;
  /** Close and reopen criLogPath (after the kubelet rotated it). NotFound if not managed. */
  reopen(containerId: string): Promise<void>;
  /** Flush what Docker wrote and stop copying (container exited or is being removed). */
  stop(containerId: string): Promise<void>;
  /** stop + delete its own bookkeeping; the CRI log file itself is left to the kubelet. */
  forget(containerId: string): Promise<void>;
}

/** The manager as app.ts holds it: the container RPCs' interface plus start-up and shutdown. */
export interface ContainerLogManagerHandle extends ContainerLogManager {
  /** Copies what Docker has written so far (e.g. before answering that a container exited). No-op if not copying. */
  flush(containerId: string): Promise<void>;
  /**
   * At start-up: resumes copying for every container that was being copied and is in
   * `liveContainerIds` (the containers Docker still has); for the others, a final copy if Docker's
   * file is still there, then their bookkeeping (and, in json-symlink mode, their symlink) is dropped.
   */
  resumeAll(liveContainerIds: Iterable<string>): Promise<void>;
  /** Shutdown: copies what is pending, saves every offset and stops following. Resumable later. */
  close(): Promise<void>;
}

export interface ContainerLogManagerOptions {
  /** Directory for the per-container copy state (created 0700 if missing). */
  readonly stateDir: string;
  readonly log: Logger;
  /** "cri" (default) copies into CRI format; "json-symlink" links the CRI path to Docker's file. */
  readonly mode?: ContainerLogMode;
  /** Backstop for lost inotify events (and the only trigger where watching fails). Default 5 s. */
  readonly sweepIntervalMs?: number;
  /** Default 1 s. */
  readonly stateSaveDelayMs?: number;
  /** Default 10 ms. */
  readonly coalesceMs?: number;
  /** Default 1 MiB. */
  readonly readChunkBytes?: number;
}

export function createContainerLogManager(opts: ContainerLogManagerOptions): ContainerLogManagerHandle {
  return new LogManager(opts);
}

class LogManager implements ContainerLogManagerHandle {
  readonly #stateDir: string;
  readonly #log: Logger;
  readonly #mode: ContainerLogMode;
  readonly #sweepIntervalMs: number;
  readonly #tuning: FollowerTuning;
  readonly #followers = new Map<string, LogFollower>();
  readonly #locks = new KeyedMutex();
  #stateDirReady: Promise<void> | undefined;
  #sweep: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: ContainerLogManagerOptions) {
    this.#stateDir = opts.stateDir;
    this.#log = opts.log;
    this.#mode = opts.mode ?? "cri";
    this.#sweepIntervalMs = opts.sweepIntervalMs ?? 5000;
    this.#tuning = {
      stateSaveDelayMs: opts.stateSaveDelayMs ?? 1000,
      coalesceMs: opts.coalesceMs ?? 10,
      readChunkBytes: opts.readChunkBytes ?? 1024 * 1024,
    };
  }

  async start(containerId: string, dockerLogPath: string, criLogPath: string): Promise<void> {
    checkContainerId(containerId);
    checkPath("Docker log path", dockerLogPath);
    checkPath("CRI log path", criLogPath);
    await this.#locked(containerId, async () => {
      const running = this.#followers.get(containerId);
      if (running !== undefined) {
        if (running.dockerLogPath === dockerLogPath && running.criLogPath === criLogPath) return;
        throw new CriError("FailedPrecondition", `Container "${containerId}" log is already copied to "${running.criLogPath}": cannot copy it to "${criLogPath}"`);
      }
      let state = await readCopyState(this.#stateDir, containerId, this.#log);
      if (state !== undefined && (state.dockerLogPath !== dockerLogPath || state.criLogPath !== criLogPath || state.mode !== this.#mode)) {
        this.#log.warn({ containerId, recorded: state.criLogPath, criLogPath }, "Discarding the container log state of an earlier start with other paths or mode");
        state = undefined;
      }
      if (this.#mode === "json-symlink") {
        await this.#ensureStateDir();
        // The state first: a crash right after the symlink appeared must leave what forget() needs to
        // remove it (found by test/chaos/crash-restart); a state without its symlink is harmless.
        await writeCopyState(this.#stateDir, { containerId, mode: "json-symlink", dockerLogPath, criLogPath, stopped: false, source: null, cri: null, skipThroughNs: null }, true);
        try {
          await linkJsonLog(criLogPath, dockerLogPath);
        } catch (err) {
          await removeCopyState(this.#stateDir, containerId).catch(() => undefined);
          throw err;
        }
        return;
      }
      await this.#follow(state ?? { containerId, mode: "cri", dockerLogPath, criLogPath, stopped: false, source: null, cri: null, skipThroughNs: null }, state === undefined);
    });
  }

  async reopen(containerId: string): Promise<void> {
    checkContainerId(containerId);
    await this.#locked(containerId, async () => {
      let follower = this.#followers.get(containerId);
      if (follower === undefined) {
        const state = await readCopyState(this.#stateDir, containerId, this.#log);
        if (state === undefined) throw new CriError("NotFound", `Container "${containerId}" has no log managed by docker-cri`);
        if (state.mode === "json-symlink") {
          throw new CriError("Unimplemented", `Cannot reopen the log of container "${containerId}": with --container-log-mode=json-symlink the file is Docker's`);
        }
        if (state.stopped) throw new CriError("FailedPrecondition", `Cannot reopen the log of container "${containerId}": the container is not running`);
        follower = await this.#follow(state, false);
      }
      await follower.reopen();
    });
  }

  async stop(containerId: string): Promise<void> {
    checkContainerId(containerId);
    await this.#locked(containerId, () => this.#stopCopy(containerId));
  }

  async forget(containerId: string): Promise<void> {
    checkContainerId(containerId);
    await this.#locked(containerId, async () => {
      const state = await this.#stopCopy(containerId);
      if (state?.mode === "json-symlink") await unlinkJsonLog(state.criLogPath, state.dockerLogPath);
      await removeCopyState(this.#stateDir, containerId);
    });
  }

  async flush(containerId: string): Promise<void> {
    checkContainerId(containerId);
    await this.#followers.get(containerId)?.flush();
  }

  async resumeAll(liveContainerIds: Iterable<string>): Promise<void> {
    const live = new Set(liveContainerIds);
    await this.#ensureStateDir();
    for (const containerId of await listCopyStates(this.#stateDir, this.#log)) {
      try {
        checkContainerId(containerId);
        await this.#locked(containerId, async () => {
          if (this.#followers.has(containerId)) return;
          const state = await readCopyState(this.#stateDir, containerId, this.#log);
          if (state === undefined) return;
          if (live.has(containerId)) {
            if (state.mode === "cri" && !state.stopped) await this.#follow(state, false);
            return;
          }
          await this.#stopCopy(containerId);
          if (state.mode === "json-symlink") await unlinkJsonLog(state.criLogPath, state.dockerLogPath);
          await removeCopyState(this.#stateDir, containerId);
        });
      } catch (err) {
        this.#log.warn({ containerId, err: errorMessage(err) }, "Cannot resume copying a container log");
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    const followers = [...this.#followers.values()];
    this.#followers.clear();
    await Promise.all(followers.map((f) => f.end(false).catch((err: unknown) => {
      this.#log.warn({ containerId: f.containerId, err: errorMessage(err) }, "Cannot save the container log copy state at shutdown");
    })));
  }

  /** Starts a follower from `state`; `fresh` when there is no saved state (copy from the first byte). */
  async #follow(state: CopyState, fresh: boolean): Promise<LogFollower> {
    await this.#ensureStateDir();
    const follower = await LogFollower.resume({
      ...this.#tuning,
      containerId: state.containerId,
      dockerLogPath: state.dockerLogPath,
      criLogPath: state.criLogPath,
      stateDir: this.#stateDir,
      log: this.#log.child({ containerId: state.containerId }),
    }, fresh ? undefined : state);
    if (this.#closed) {
      // close() ran while this one was opening its files: it would be left copying.
      await follower.end(false);
      throw new CriError("Unavailable", "The container log manager is shut down");
    }
    this.#followers.set(state.containerId, follower);
    this.#log.debug({ containerId: state.containerId, dockerLogPath: state.dockerLogPath, criLogPath: state.criLogPath, resumed: !fresh }, "Copying container log in CRI format");
    this.#sweep ??= setInterval(() => {
      for (const f of this.#followers.values()) f.kick();
    }, this.#sweepIntervalMs).unref();
    return follower;
  }

  /**
   * Final copy and stop. Without a follower in memory (docker-cri restarted and the container was
   * not resumed), the saved state is resumed for one final copy. Returns the state as it was.
   */
  async #stopCopy(containerId: string): Promise<CopyState | undefined> {
    const follower = this.#followers.get(containerId);
    const state = await readCopyState(this.#stateDir, containerId, this.#log);
    if (follower !== undefined) {
      this.#followers.delete(containerId);
      await follower.end(true);
      return state;
    }
    // Only if Docker's file is still there: otherwise there is nothing left to copy, and resuming
    // would recreate a CRI log directory the kubelet may have removed with the pod.
    if (state?.mode === "cri" && !state.stopped && (await inodeOf(state.dockerLogPath)) !== undefined) {
      const once = await this.#follow(state, false);
      this.#followers.delete(containerId);
      await once.end(true);
    }
    return state;
  }

  async #locked<T>(containerId: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new CriError("Unavailable", "The container log manager is shut down");
    return this.#locks.run(containerId, async () => {
      if (this.#closed) throw new CriError("Unavailable", "The container log manager is shut down");
      return fn();
    });
  }

  #ensureStateDir(): Promise<void> {
    this.#stateDirReady ??= makeDirs(this.#stateDir, 0o700).catch((err: unknown) => {
      this.#stateDirReady = undefined;
      throw new CriError("Internal", `Cannot create the container log state directory "${this.#stateDir}": ${errorMessage(err)}`, { cause: err });
    });
    return this.#stateDirReady;
  }
}

function checkPath(what: string, path: string): void {
  if (path === "" || !isAbsolute(path)) throw new CriError("InvalidArgument", `Invalid ${what} "${path}": must be an absolute path`);
}
