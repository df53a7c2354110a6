import { watch, type FSWatcher } from "node:fs";
import { stat } from "node:fs/promises";
import type { Logger } from "../../logger/index.js";
import { findCniConfig, type CniConfigChoice } from "./find-cni-config.js";

/**
 * The CNI config in use, re-read when --cni-conf-dir changes: an add-on DaemonSet typically writes
 * its config after docker-cri started, and may rewrite it later. An inotify watch on the directory
 * marks the cached choice stale; without a watch (the directory does not exist yet) every call
 * reads the directory again and retries the watch. A choice without a usable config is never
 * cached either, so that plugin binaries installed later are noticed on the next call.
 */
export class CniConfigSource {
  readonly #confDir: string;
  readonly #binDirs: readonly string[];
  readonly #log: Logger;
  #watcher: FSWatcher | undefined;
  /** The watched directory's inode: a directory removed and made again needs a new watch. */
  #watchedIno = -1;
  #stale = true;
  #cached: CniConfigChoice | undefined;
  #closed = false;

  constructor(confDir: string, binDirs: readonly string[], log: Logger) {
    this.#confDir = confDir;
    this.#binDirs = binDirs;
    this.#log = log;
  }

  async current(): Promise<CniConfigChoice> {
    await this.#ensureWatch();
    if (!this.#stale && this.#cached?.config !== undefined && this.#watcher !== undefined) return this.#cached;
    // Cleared before reading: a change that lands while we read marks it stale again.
    this.#stale = false;
    const choice = await findCniConfig(this.#confDir, this.#binDirs);
    const before = this.#cached?.config;
    if (choice.config?.path !== before?.path || choice.config?.bytes !== before?.bytes) {
      if (choice.config !== undefined) {
        this.#log.info({ path: choice.config.path, network: choice.config.name, cniVersion: choice.config.cniVersion, plugins: choice.config.pluginTypes }, "Using CNI network config");
      } else if (before !== undefined) {
        this.#log.warn({ problems: choice.problems }, "No usable CNI network config any more");
      }
    }
    this.#cached = choice;
    return choice;
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  async #ensureWatch(): Promise<void> {
    if (this.#closed) return;
    const ino = await stat(this.#confDir).then((s) => s.ino, () => -1);
    if (this.#watcher !== undefined && ino === this.#watchedIno) return;
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#stale = true;
    if (ino === -1) return;
    try {
      // Not persistent: the watch must never keep the process alive on its own.
      const w = watch(this.#confDir, { persistent: false }, () => {
        this.#stale = true;
      });
      w.on("error", () => {
        // The directory was removed or replaced: watch again (or read every time) from the next call.
        w.close();
        if (this.#watcher === w) this.#watcher = undefined;
        this.#stale = true;
      });
      this.#watcher = w;
      this.#watchedIno = ino;
    } catch {
      // No directory yet: current() reads it every time until it exists.
      this.#stale = true;
    }
  }
}
