import { readFile, writeFile } from "node:fs/promises";
import { CriError, errorMessage } from "../errors/index.js";
import { makeDirs } from "../util/make-dirs.js";
import { cgroupDir, type CgroupMount } from "./cgroup-layout.js";
import { cgroupfsStep, movePids } from "./cgroupfs-writes.js";
import { pathIn, readProcCgroups } from "./proc-cgroups.js";
import type { RuntimeCgroup } from "./runtime-cgroup.js";

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The runtime cgroup written directly into the unified (v2) hierarchy. The memory controller must be
 * delegated down to it: every ancestor lists "memory" in its cgroup.subtree_control. The cgroup is a
 * leaf, so the "no internal processes" rule does not bite it; an ancestor holding processes does,
 * and that error is reported as the kernel gives it (EBUSY).
 */
export class CgroupfsV2 implements RuntimeCgroup {
  readonly description: string;
  readonly #name: string;
  readonly #mount: CgroupMount;
  readonly #procRoot: string;

  constructor(name: string, mount: CgroupMount, procRoot: string) {
    this.#name = name;
    this.#mount = mount;
    this.#procRoot = procRoot;
    this.description = `cgroupfs v2 "${name}"`;
  }

  async ensure(memoryLimitBytes: number): Promise<void> {
    const dir = cgroupDir(this.#mount, this.#name);
    const rootControllers = (await this.#read(`${this.#mount.mountPoint}/cgroup.controllers`)).split(/\s+/);
    if (!rootControllers.includes("memory")) {
      throw new CriError("FailedPrecondition", `The memory controller is not available in "${this.#mount.mountPoint}" (cgroup.controllers: "${rootControllers.join(" ")}")`);
    }
    await cgroupfsStep(`create "${dir}"`, () => makeDirs(dir));
    // Enable memory in each ancestor's subtree_control, from the top down to the cgroup's parent.
    const parts = this.#name.split("/").filter((p) => p !== "");
    const rootParts = this.#mount.root.split("/").filter((p) => p !== "");
    for (let depth = rootParts.length; depth < parts.length; depth++) {
      const ancestor = depth === rootParts.length ? this.#mount.mountPoint : cgroupDir(this.#mount, `/${parts.slice(0, depth).join("/")}`);
      const control = `${ancestor}/cgroup.subtree_control`;
      const enabled = (await this.#read(control)).split(/\s+/);
      if (!enabled.includes("memory")) await cgroupfsStep(`enable the memory controller in "${control}"`, () => writeFile(control, "+memory"));
    }
    if (await exists(`${dir}/memory.swap.max`)) await cgroupfsStep(`set "${dir}/memory.swap.max"`, () => writeFile(`${dir}/memory.swap.max`, "max"));
    await cgroupfsStep(`set "${dir}/memory.max" to ${memoryLimitBytes}`, () => writeFile(`${dir}/memory.max`, String(memoryLimitBytes)));
  }

  async contains(pid: number): Promise<boolean> {
    return pathIn(await readProcCgroups(pid, this.#procRoot), []) === this.#name;
  }

  attach(pids: readonly number[]): Promise<void> {
    return movePids([`${cgroupDir(this.#mount, this.#name)}/cgroup.procs`], pids);
  }

  async #read(path: string): Promise<string> {
    try {
      return (await readFile(path, "utf8")).trim();
    } catch (err) {
      throw new CriError("Internal", `Cannot read "${path}": ${errorMessage(err)}`, { cause: err });
    }
  }
}
