import { existsSync } from "node:fs";
import { join } from "node:path";
import { cgroupDir, parseProcCgroups, readCgroupLayout, type CgroupLayout, type CgroupMount } from "../host/index.js";
import { readPseudoFile, type ReadPseudoFile } from "./cgroup-files.js";
import { HeldCgroupFiles } from "./held-cgroup-files.js";
import type { CgroupStats, CgroupUsage } from "./cgroup-stats.js";
import { readV1CpuUsage, readV1Stats, readV1Usage, v1UsageFiles, type V1Dirs } from "./cgroup-v1-stats.js";
import { readV2CpuUsage, readV2Stats, readV2Usage, v2UsageFiles } from "./cgroup-v2-stats.js";
import type { ReadFiles } from "./read-files.js";

/** A cgroup's counters plus the number of processes (cgroup.procs lines) when asked for. */
export type CgroupSnapshot = CgroupStats & { readonly processes: number | undefined };

/**
 * Reads cgroups by name (absolute in the hierarchy, e.g. "/docker/<id>") on this host's layout:
 * cgroup v1 with one hierarchy per controller (or co-mounted ones such as cpu,cpuacct), or v2's
 * single tree. The layout is read once; names map to directories through the mount's root, so a
 * process in a cgroup namespace or with a bind-mounted /sys/fs/cgroup still finds the right files.
 */
export class CgroupReader {
  readonly version: 1 | 2;
  readonly #v1: Readonly<Record<"cpuacct" | "cpu" | "memory" | "pids", CgroupMount | undefined>>;
  readonly #v2: CgroupMount | undefined;
  /** Held open when the layout is this host's real cgroupfs (detect); read by path otherwise. */
  readonly #held: HeldCgroupFiles | undefined;
  readonly #read: ReadPseudoFile;

  /**
   * holdFiles: keep the counters' files open (HeldCgroupFiles); readFiles: the read-files addon, with
   * which readUsageMany reads off the event loop.
   */
  constructor(layout: CgroupLayout, opts: { holdFiles?: boolean; readFiles?: ReadFiles } = {}) {
    this.version = layout.version;
    this.#held = opts.holdFiles === true ? new HeldCgroupFiles(opts.readFiles === undefined ? {} : { readFiles: opts.readFiles }) : undefined;
    this.#read = this.#held?.read ?? readPseudoFile;
    if (layout.version === 2) {
      this.#v1 = { cpuacct: undefined, cpu: undefined, memory: undefined, pids: undefined };
      this.#v2 = layout.unified;
    } else {
      const find = (c: string): CgroupMount | undefined => layout.hierarchies.find((h) => h.controllers.includes(c));
      this.#v1 = { cpuacct: find("cpuacct"), cpu: find("cpu"), memory: find("memory"), pids: find("pids") };
      this.#v2 = undefined;
    }
  }

  /** Reads /proc/self/mountinfo; the counters' files are then held open (HeldCgroupFiles). */
  static async detect(opts: { readFiles?: ReadFiles } = {}): Promise<CgroupReader> {
    return new CgroupReader(await readCgroupLayout(), { ...opts, holdFiles: true });
  }

  /** Closes the files held open. */
  close(): void {
    this.#held?.close();
  }

  /** Whether the cgroup exists (its memory directory in v1, its directory in v2). */
  exists(name: string): boolean {
    const dir = this.#v2 !== undefined ? dirIn(this.#v2, name) : dirIn(this.#v1.memory ?? this.#v1.cpuacct, name);
    return dir !== undefined && existsSync(dir);
  }

  /**
   * Every counter of the cgroup; undefined when it does not exist (a stopped container has none):
   * no counter of it could be read.
   */
  read(name: string, withProcesses = false): CgroupSnapshot | undefined {
    let stats: CgroupSnapshot;
    if (this.#v2 !== undefined) {
      const dir = dirIn(this.#v2, name);
      if (dir === undefined) return undefined;
      stats = readV2Stats(dir, withProcesses, this.#read);
    } else {
      stats = readV1Stats(this.#v1Dirs(name), withProcesses, this.#read);
    }
    return stats.cpu === undefined && stats.memory === undefined && stats.pids === undefined ? undefined : stats;
  }

  /**
   * Only what CRI's stats RPCs carry (CgroupUsage): 7 files per cgroup where read takes 13 (v1), and
   * memory.stat looked up for four keys rather than parsed whole. undefined as for read.
   */
  readUsage(name: string, read: ReadPseudoFile = this.#read): CgroupUsage | undefined {
    let usage: CgroupUsage;
    if (this.#v2 !== undefined) {
      const dir = dirIn(this.#v2, name);
      if (dir === undefined) return undefined;
      usage = readV2Usage(dir, read);
    } else {
      usage = readV1Usage(this.#v1Dirs(name), read);
    }
    return usage.cpu === undefined && usage.memory === undefined && usage.pids === undefined ? undefined : usage;
  }

  /**
   * readUsage of many cgroups, their files read in one batch off the event loop (HeldCgroupFiles.readMany)
   * and only parsed here; one by one when the files are not held.
   */
  readUsageMany(names: readonly string[]): Promise<Map<string, CgroupUsage | undefined>> {
    return this.#readMany(names, (n) => this.#usageFiles(n), (n, read) => this.readUsage(n, read));
  }

  /** cpuUsage of many cgroups, their files read in one batch off the event loop (as readUsageMany). */
  cpuUsageMany(names: readonly string[]): Promise<Map<string, bigint | undefined>> {
    return this.#readMany(names, (n) => this.#cpuUsageFile(n) ?? [], (n, read) => this.cpuUsage(n, read));
  }

  /** Each cgroup's files (filesOf) read in one batch when held, then parsed by parse from the batch; one by one when not held. */
  async #readMany<T>(names: readonly string[], filesOf: (name: string) => string | readonly string[], parse: (name: string, read: ReadPseudoFile) => T): Promise<Map<string, T>> {
    if (this.#held === undefined) return new Map(names.map((n) => [n, parse(n, this.#read)]));
    const texts = await this.#held.readMany(names.flatMap(filesOf));
    const read: ReadPseudoFile = (path) => (texts.has(path) ? texts.get(path) : this.#read(path));
    return new Map(names.map((n) => [n, parse(n, read)]));
  }

  #cpuUsageFile(name: string): string | undefined {
    const dir = this.#v2 !== undefined ? dirIn(this.#v2, name) : dirIn(this.#v1.cpuacct, name);
    if (dir === undefined) return undefined;
    return this.#v2 !== undefined ? `${dir}/cpu.stat` : `${dir}/cpuacct.usage`;
  }

  /** Only the cumulative CPU time, for the sampler: one small file per cgroup. */
  cpuUsage(name: string, read: ReadPseudoFile = this.#read): bigint | undefined {
    if (this.#v2 !== undefined) {
      const dir = dirIn(this.#v2, name);
      return dir === undefined ? undefined : readV2CpuUsage(dir, read);
    }
    const dir = dirIn(this.#v1.cpuacct, name);
    return dir === undefined ? undefined : readV1CpuUsage(dir, read);
  }

  /**
   * The cgroup of a running process from /proc/<pid>/cgroup (the memory controller's path on v1, the
   * unified path on v2): the fallback when a container is not where Docker's driver would put it.
   */
  cgroupOfPid(pid: number, procRoot = "/proc"): string | undefined {
    if (pid <= 0) return undefined;
    const text = readPseudoFile(join(procRoot, String(pid), "cgroup"));
    if (text === undefined) return undefined;
    const entries = parseProcCgroups(text);
    const entry = this.#v2 !== undefined ? entries.find((e) => e.hierarchyId === "0") : entries.find((e) => e.controllers.includes("memory"));
    return entry?.path;
  }

  #usageFiles(name: string): string[] {
    if (this.#v2 === undefined) return v1UsageFiles(this.#v1Dirs(name));
    const dir = dirIn(this.#v2, name);
    return dir === undefined ? [] : v2UsageFiles(dir);
  }

  #v1Dirs(name: string): V1Dirs {
    return {
      cpuacct: dirIn(this.#v1.cpuacct, name),
      cpu: dirIn(this.#v1.cpu, name),
      memory: dirIn(this.#v1.memory, name),
      pids: dirIn(this.#v1.pids, name),
    };
  }
}

/** The directory of `name` under `mount`, or undefined when not mounted or outside the mounted part. */
function dirIn(mount: CgroupMount | undefined, name: string): string | undefined {
  if (mount === undefined) return undefined;
  try {
    return cgroupDir(mount, name);
  } catch {
    return undefined;
  }
}
