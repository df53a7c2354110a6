import { totalmem } from "node:os";
import { CriError, errorMessage, toCriError } from "../errors/index.js";
import type { Logger } from "../logger/index.js";
import { readCgroupLayout } from "./cgroup-layout.js";
import { CgroupfsV1 } from "./cgroupfs-v1.js";
import { CgroupfsV2 } from "./cgroupfs-v2.js";
import { lowerOomScoreAdj, runtimeOomScoreAdj, type OomScoreChange } from "./oom-score.js";
import type { RuntimeCgroup } from "./runtime-cgroup.js";
import { dockerRuntimeProcesses, findRuntimePids, inOurPidNamespace, type RuntimeProcess } from "./runtime-processes.js";
import { runCommand, SystemdUnitCgroup, type CommandRunner } from "./systemd-unit-cgroup.js";

/** The kubelet's limits for the runtime's cgroup (dockershim's container manager): 70 % of the host's memory, and never under 150 MiB. */
export const runtimeMemoryPercent = 70;
export const minRuntimeMemoryBytes = 150 * 1024 * 1024;
/** How often the runtime is put back where it belongs (dockershim's period). */
export const runtimeCgroupCheckIntervalMs = 5 * 60_000;

export function runtimeMemoryLimit(hostMemoryBytes: number): number {
  const limit = Math.floor((hostMemoryBytes * runtimeMemoryPercent) / 100);
  return Number.isFinite(limit) && limit > minRuntimeMemoryBytes ? limit : minRuntimeMemoryBytes;
}

export interface RuntimeCgroupManagerOptions {
  /** --runtime-cgroups: absolute cgroup name. */
  readonly cgroupName: string;
  /** Docker's cgroup driver: cgroupfs writes the tree directly, systemd goes through systemd. */
  readonly driver: "cgroupfs" | "systemd";
  readonly log: Logger;
  /** The daemons to keep there; dockerd and containerd by default. Tests pass their own. */
  readonly processes?: readonly RuntimeProcess[];
  readonly oomScoreAdj?: number;
  readonly intervalMs?: number;
  /** Default: runtimeMemoryLimit of the host's memory. */
  readonly memoryLimitBytes?: number;
  readonly procRoot?: string;
  readonly mountinfoPath?: string;
  readonly busctlPath?: string;
  readonly runCommand?: CommandRunner;
}

/** What one pass did to one process. */
export interface ManagedPid {
  readonly label: string;
  readonly pid: number;
  readonly moved: boolean;
  readonly oom: OomScoreChange | undefined;
}

export interface EnsureReport {
  readonly pids: readonly ManagedPid[];
  /** Everything that failed, one sentence each; the pass carries on past each failure. */
  readonly errors: readonly string[];
}

/**
 * The kubelet's container manager for the runtime (dockershim's cm): keeps dockerd and containerd in the
 * cgroup named by --runtime-cgroups, with a memory limit, and keeps their oom_score_adj as low as the
 * host allows, so that under memory pressure the kernel kills pods before the runtime that runs them.
 * Checked at start and every five minutes, since a restarted dockerd comes back wherever systemd or
 * its parent puts it. Nothing here is fatal: failures are reported and the next pass tries again.
 */
export class RuntimeCgroupManager {
  readonly #cgroup: RuntimeCgroup;
  readonly #opts: RuntimeCgroupManagerOptions;
  readonly #memoryLimitBytes: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<EnsureReport> | undefined;
  #passes = 0;

  private constructor(cgroup: RuntimeCgroup, opts: RuntimeCgroupManagerOptions, memoryLimitBytes: number) {
    this.#cgroup = cgroup;
    this.#opts = opts;
    this.#memoryLimitBytes = memoryLimitBytes;
  }

  /** Validates the name and reads the host's cgroup layout; throws a CriError saying what is wrong. */
  static async create(opts: RuntimeCgroupManagerOptions): Promise<RuntimeCgroupManager> {
    if (!opts.cgroupName.startsWith("/")) throw new CriError("InvalidArgument", `Invalid --runtime-cgroups "${opts.cgroupName}": must be an absolute cgroup name`);
    const name = `/${opts.cgroupName.split("/").filter((p) => p !== "").join("/")}`;
    if (name === "/" || name.split("/").some((p) => p === "." || p === "..")) {
      throw new CriError("InvalidArgument", `Invalid --runtime-cgroups "${opts.cgroupName}": must name a cgroup below the root`);
    }
    const procRoot = opts.procRoot ?? "/proc";
    const layout = await readCgroupLayout(opts.mountinfoPath);
    let cgroup: RuntimeCgroup;
    if (opts.driver === "systemd") {
      cgroup = new SystemdUnitCgroup(name, layout, { procRoot, busctl: opts.busctlPath ?? "busctl", run: opts.runCommand ?? runCommand });
    } else if (layout.version === 2) {
      cgroup = new CgroupfsV2(name, layout.unified, procRoot);
    } else {
      cgroup = new CgroupfsV1(name, layout.hierarchies, procRoot);
    }
    return new RuntimeCgroupManager(cgroup, opts, opts.memoryLimitBytes ?? runtimeMemoryLimit(totalmem()));
  }

  get description(): string {
    return this.#cgroup.description;
  }

  get memoryLimitBytes(): number {
    return this.#memoryLimitBytes;
  }

  /** Runs a pass now and then every interval; returns at once (the passes log their outcome). */
  start(): void {
    if (this.#timer !== undefined) return;
    const pass = (): void => {
      void this.ensure();
    };
    this.#timer = setInterval(pass, this.#opts.intervalMs ?? runtimeCgroupCheckIntervalMs);
    this.#timer.unref();
    pass();
  }

  /** One pass; concurrent callers share it. Never rejects. */
  ensure(): Promise<EnsureReport> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stops the timer and waits for a pass in flight. The runtime stays where it is. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #pass(): Promise<EnsureReport> {
    const { log } = this.#opts;
    const procRoot = this.#opts.procRoot ?? "/proc";
    const wantedOom = this.#opts.oomScoreAdj ?? runtimeOomScoreAdj;
    const errors: string[] = [];
    const pids: ManagedPid[] = [];
    const first = this.#passes === 0;
    this.#passes += 1;
    let cgroupReady = true;
    try {
      await this.#cgroup.ensure(this.#memoryLimitBytes);
    } catch (err) {
      cgroupReady = false;
      errors.push(errorMessage(err));
    }
    for (const proc of this.#opts.processes ?? dockerRuntimeProcesses) {
      let found: number[];
      try {
        found = await findRuntimePids(proc, procRoot);
      } catch (err) {
        errors.push(errorMessage(err));
        continue;
      }
      for (const pid of found) {
        try {
          if (!(await inOurPidNamespace(pid, procRoot))) {
            log.debug({ process: proc.label, pid }, "Runtime process runs in another PID namespace (a container); leaving it alone");
            continue;
          }
        } catch (err) {
          // Err on the side of caution: a process whose namespace cannot be read is not moved.
          errors.push(`Cannot read the PID namespace of ${proc.label} (pid ${pid}): ${errorMessage(err)}`);
          continue;
        }
        let moved = false;
        if (cgroupReady) {
          try {
            if (!(await this.#cgroup.contains(pid))) {
              await this.#cgroup.attach([pid], this.#memoryLimitBytes);
              moved = true;
              log.info({ process: proc.label, pid, cgroup: this.#cgroup.description }, "Moved the container runtime into its cgroup");
            }
          } catch (err) {
            errors.push(`Cannot move ${proc.label} (pid ${pid}) into ${this.#cgroup.description}: ${errorMessage(err)}`);
          }
        }
        let oom: OomScoreChange | undefined;
        try {
          oom = await lowerOomScoreAdj(pid, wantedOom, procRoot);
          if (oom.after !== oom.before) log.info({ process: proc.label, pid, before: oom.before, after: oom.after, wanted: wantedOom }, "Lowered the container runtime's oom_score_adj");
          if (oom.limited && first) log.info({ process: proc.label, pid, oomScoreAdj: oom.after, wanted: wantedOom }, "The host does not allow a lower oom_score_adj (no CAP_SYS_RESOURCE)");
        } catch (err) {
          errors.push(`Cannot lower the oom_score_adj of ${proc.label} (pid ${pid}): ${errorMessage(err)}`);
        }
        pids.push({ label: proc.label, pid, moved, oom });
      }
    }
    if (errors.length > 0) {
      log.warn({ cgroup: this.#cgroup.description, errors }, `Cannot keep the container runtime in its cgroup: ${errors.join("; ")}`);
    } else if (first) {
      log.info({ cgroup: this.#cgroup.description, memoryLimitBytes: this.#memoryLimitBytes, pids: pids.map((p) => `${p.label}:${p.pid}`) }, "Container runtime is in its cgroup");
    }
    return { pids, errors };
  }
}

/**
 * Builds and starts the manager for --runtime-cgroups. Never throws: a cgroup that cannot be managed
 * is logged and docker-cri runs on without it (undefined).
 */
export async function startRuntimeCgroupManager(opts: RuntimeCgroupManagerOptions): Promise<RuntimeCgroupManager | undefined> {
  try {
    const manager = await RuntimeCgroupManager.create(opts);
    opts.log.info({ cgroup: manager.description, memoryLimitBytes: manager.memoryLimitBytes }, "Managing the container runtime's cgroup");
    manager.start();
    return manager;
  } catch (err) {
    const e = toCriError(err);
    opts.log.error({ runtimeCgroups: opts.cgroupName, err: e }, `Cannot manage the container runtime's cgroup: ${e.message}`);
    return undefined;
  }
}
