import { existsSync } from "node:fs";
import { join } from "node:path";
import { cgroupDir, parseProcCgroups, readCgroupLayout, type CgroupLayout, type CgroupMount } from "../host/index.js";
import { readPseudoFile, type ReadPseudoFile } from "./cgroup-files.js";
import { slotCounters, slotLayout, textCounters, type CounterFile, type Counters } from "./counter-files.js";
import { HeldCgroupFiles } from "./held-cgroup-files.js";
import type { CgroupStats, CgroupUsage, CpuPlan, UsagePlan } from "./cgroup-stats.js";
import { readV1Stats, v1CpuPlan, v1UsagePlan, type V1Dirs } from "./cgroup-v1-stats.js";
import { readV2Stats, v2CpuPlan, v2UsagePlan } from "./cgroup-v2-stats.js";
import type { ReadValues } from "./read-files.js";

/** A plan's files and where each one's values start in a batch (slotLayout). */
interface Laid<P> {
  readonly plan: P;
  readonly starts: readonly number[];
  readonly slots: number;
}

/** What a cgroup's reads read, made once per cgroup name; `round` is the batch that last used it. */
interface Plans {
  readonly usage: Laid<UsagePlan> | undefined;
  readonly cpu: Laid<CpuPlan> | undefined;
  round: number;
}

/** Plans not used by this many batches are dropped (the sampler's and stats calls' batches come every few seconds). */
const planRounds = 64;

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
  readonly #plans = new Map<string, Plans>();
  #round = 0;

  /**
   * holdFiles: keep the counters' files open (HeldCgroupFiles); readValues: the read-files addon's,
   * with which readUsageMany and cpuUsageMany read and parse off the event loop.
   */
  constructor(layout: CgroupLayout, opts: { holdFiles?: boolean; readValues?: ReadValues } = {}) {
    this.version = layout.version;
    this.#held = opts.holdFiles === true ? new HeldCgroupFiles(opts.readValues === undefined ? {} : { readValues: opts.readValues }) : undefined;
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
  static async detect(opts: { readValues?: ReadValues } = {}): Promise<CgroupReader> {
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
    const laid = this.#plansOf(name).usage;
    return laid === undefined ? undefined : nonEmpty(laid.plan.usage(textCounters(laid.plan.files, read)));
  }

  /**
   * readUsage of many cgroups, their files read and parsed in one batch off the event loop
   * (HeldCgroupFiles.readValues): no text of them reaches JavaScript. One by one when not held.
   */
  readUsageMany(names: readonly string[]): Promise<Map<string, CgroupUsage | undefined>> {
    return this.#readMany(names, (p) => p.usage, (plan, c) => nonEmpty(plan.usage(c)), (n) => this.readUsage(n));
  }

  /** cpuUsage of many cgroups, in one batch off the event loop (as readUsageMany). */
  cpuUsageMany(names: readonly string[]): Promise<Map<string, bigint | undefined>> {
    return this.#readMany(names, (p) => p.cpu, (plan, c) => plan.cpu(c), (n) => this.cpuUsage(n));
  }

  /** Each cgroup's plan (pick) read in one batch when held, then made into T from the batch's values; one by one (single) when not held. */
  async #readMany<P extends { readonly files: readonly CounterFile[] }, T>(names: readonly string[], pick: (p: Plans) => Laid<P> | undefined, make: (plan: P, c: Counters) => T, single: (name: string) => T | undefined): Promise<Map<string, T | undefined>> {
    // Counted for both paths: the plans of cgroups no batch asks for any more go either way.
    const round = ++this.#round;
    if (round % planRounds === 0) for (const [name, p] of this.#plans) if (p.round < round - planRounds) this.#plans.delete(name);
    if (this.#held === undefined) return new Map(names.map((n) => [n, single(n)]));
    const unique = [...new Set(names)];
    const laid = unique.map((n) => pick(this.#plansOf(n)));
    const files: CounterFile[] = [];
    for (const l of laid) if (l !== undefined) files.push(...l.plan.files);
    const batch = await this.#held.readValues(files);
    const out = new Map<string, T | undefined>();
    let base = 0;
    for (let i = 0; i < unique.length; i++) {
      const l = laid[i];
      if (l === undefined) {
        out.set(unique[i] as string, undefined);
        continue;
      }
      out.set(unique[i] as string, make(l.plan, slotCounters(l.starts, batch, base)));
      base += l.slots;
    }
    return out;
  }

  /** Cgroups whose plans (file lists and slot layouts) are kept now (for tests and the footprint). */
  get plans(): number {
    return this.#plans.size;
  }

  /** Only the cumulative CPU time, for the sampler: one small file per cgroup. */
  cpuUsage(name: string, read: ReadPseudoFile = this.#read): bigint | undefined {
    const laid = this.#plansOf(name).cpu;
    return laid === undefined ? undefined : laid.plan.cpu(textCounters(laid.plan.files, read));
  }

  /** The cgroup's plans, made at its first read and kept while batches use it. */
  #plansOf(name: string): Plans {
    let p = this.#plans.get(name);
    if (p === undefined) {
      p = { usage: laidOut(this.#usagePlan(name)), cpu: laidOut(this.#cpuPlan(name)), round: this.#round };
      this.#plans.set(name, p);
    }
    p.round = this.#round;
    return p;
  }

  #usagePlan(name: string): UsagePlan | undefined {
    if (this.#v2 === undefined) return v1UsagePlan(this.#v1Dirs(name));
    const dir = dirIn(this.#v2, name);
    return dir === undefined ? undefined : v2UsagePlan(dir);
  }

  #cpuPlan(name: string): CpuPlan | undefined {
    const dir = this.#v2 !== undefined ? dirIn(this.#v2, name) : dirIn(this.#v1.cpuacct, name);
    if (dir === undefined) return undefined;
    return this.#v2 !== undefined ? v2CpuPlan(dir) : v1CpuPlan(dir);
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

  #v1Dirs(name: string): V1Dirs {
    return {
      cpuacct: dirIn(this.#v1.cpuacct, name),
      cpu: dirIn(this.#v1.cpu, name),
      memory: dirIn(this.#v1.memory, name),
      pids: dirIn(this.#v1.pids, name),
    };
  }
}

function laidOut<P extends { readonly files: readonly CounterFile[] }>(plan: P | undefined): Laid<P> | undefined {
  return plan === undefined ? undefined : { plan, ...slotLayout(plan.files) };
}

/** A usage of which no counter could be read is none: the cgroup is not there. */
function nonEmpty(usage: CgroupUsage): CgroupUsage | undefined {
  return usage.cpu === undefined && usage.memory === undefined && usage.pids === undefined ? undefined : usage;
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
