import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { CriError, errorMessage } from "../errors/index.js";
import { cgroupDir, type CgroupLayout } from "./cgroup-layout.js";
import { pathIn, readProcCgroups } from "./proc-cgroups.js";
import type { RuntimeCgroup } from "./runtime-cgroup.js";

/** Runs a command and resolves with its stdout; rejects with its stderr in the message. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<string>;

const busctlTimeoutMs = 15_000;

export const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: busctlTimeoutMs, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout);
      else reject(new Error(stderr.trim() !== "" ? stderr.trim() : err.message, { cause: err }));
    });
  });

const systemdManager = ["org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager"] as const;

/**
 * With the systemd cgroup driver systemd owns the tree: writing cgroupfs behind its back gets undone
 * at the next reload. So the runtime cgroup is a systemd unit and every change goes through systemd's
 * D-Bus API, called with busctl (shipped with systemd) to keep docker-cri free of a D-Bus client:
 *
 * - `/system.slice/docker.service`: dockerd's own service. It must be running; we set its memory limit
 *   and attach strays (containerd started outside it) with AttachProcessesToUnit (systemd ≥ 238).
 * - `/<slices>/<name>.scope`: a transient scope we create with StartTransientUnit around the runtime's
 *   pids, in the slice the path names (`-.slice` for a scope at the top).
 *
 * The memory property is MemoryMax on cgroup v2 and MemoryLimit on v1.
 */
export class SystemdUnitCgroup implements RuntimeCgroup {
  readonly description: string;
  readonly #name: string;
  readonly #unit: string;
  readonly #slice: string;
  readonly #layout: CgroupLayout;
  readonly #procRoot: string;
  readonly #busctl: string;
  readonly #run: CommandRunner;

  constructor(name: string, layout: CgroupLayout, opts: { procRoot: string; busctl: string; run: CommandRunner }) {
    const parts = name.split("/").filter((p) => p !== "");
    const unit = parts[parts.length - 1] ?? "";
    if (!/^[\w:.\\@-]+\.(scope|service)$/.test(unit)) {
      throw new CriError("InvalidArgument", `Invalid --runtime-cgroups "${name}" for the systemd cgroup driver: the last part must be a unit that holds processes, e.g. "/system.slice/docker.service" or "/runtime.slice/docker-runtime.scope"`);
    }
    const slices = parts.slice(0, -1);
    if (slices.some((s) => !s.endsWith(".slice"))) {
      throw new CriError("InvalidArgument", `Invalid --runtime-cgroups "${name}" for the systemd cgroup driver: every part above the unit must be a slice ("….slice")`);
    }
    this.#name = `/${parts.join("/")}`;
    this.#unit = unit;
    this.#slice = slices[slices.length - 1] ?? "-.slice";
    this.#layout = layout;
    this.#procRoot = opts.procRoot;
    this.#busctl = opts.busctl;
    this.#run = opts.run;
    this.description = `systemd unit "${unit}" (cgroup v${layout.version} "${this.#name}")`;
  }

  async ensure(memoryLimitBytes: number): Promise<void> {
    if (await this.#active()) {
      await this.#call("SetUnitProperties", ["sba(sv)", this.#unit, "true", "2", "MemoryAccounting", "b", "true", this.#memoryProperty(), "t", String(memoryLimitBytes)]);
      return;
    }
    if (this.#unit.endsWith(".service")) {
      throw new CriError("FailedPrecondition", `Unit "${this.#unit}" is not running; start it, or name a .scope for docker-cri to create`);
    }
    // A scope cannot exist without processes: attach() creates it around them, with the limit.
  }

  async contains(pid: number): Promise<boolean> {
    const cgroups = await readProcCgroups(pid, this.#procRoot);
    const path = this.#layout.version === 2 ? pathIn(cgroups, []) : pathIn(cgroups, ["name=systemd"]);
    return path !== undefined && (path === this.#name || path.startsWith(`${this.#name}/`));
  }

  async attach(pids: readonly number[], memoryLimitBytes: number): Promise<void> {
    if (pids.length === 0) return;
    if (await this.#active()) {
      await this.#call("AttachProcessesToUnit", ["ssau", this.#unit, "", String(pids.length), ...pids.map(String)]);
      return;
    }
    if (this.#unit.endsWith(".service")) {
      throw new CriError("FailedPrecondition", `Unit "${this.#unit}" is not running; start it, or name a .scope for docker-cri to create`);
    }
    await this.#call("StartTransientUnit", [
      "ssa(sv)a(sa(sv))", this.#unit, "fail",
      "5",
      "Description", "s", "Container runtime (dockerd, containerd) kept here by docker-cri",
      "Slice", "s", this.#slice,
      "PIDs", "au", String(pids.length), ...pids.map(String),
      "MemoryAccounting", "b", "true",
      this.#memoryProperty(), "t", String(memoryLimitBytes),
      "0",
    ]);
  }

  #memoryProperty(): string {
    return this.#layout.version === 2 ? "MemoryMax" : "MemoryLimit";
  }

  /** A unit is running when systemd's hierarchy has its cgroup directory. */
  async #active(): Promise<boolean> {
    const mount = this.#layout.version === 2 ? this.#layout.unified : this.#layout.systemd;
    if (mount === undefined) throw new CriError("FailedPrecondition", "The systemd cgroup driver needs systemd's hierarchy (name=systemd), and none is mounted");
    try {
      return (await stat(cgroupDir(mount, this.#name))).isDirectory();
    } catch {
      return false;
    }
  }

  async #call(method: string, args: readonly string[]): Promise<void> {
    try {
      await this.#run(this.#busctl, ["call", ...systemdManager, method, ...args]);
    } catch (err) {
      throw new CriError("Internal", `systemd ${method} for "${this.#unit}" failed: ${errorMessage(err)}`, { cause: err });
    }
  }
}
