import { readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { makeDirs } from "../util/make-dirs.js";
import { cgroupDir, type CgroupMount } from "./cgroup-layout.js";
import { cgroupfsStep, movePids } from "./cgroupfs-writes.js";
import { pathIn, readProcCgroups } from "./proc-cgroups.js";
import type { RuntimeCgroup } from "./runtime-cgroup.js";

async function readTrimmed(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch {
    return undefined;
  }
}

/**
 * The runtime cgroup written directly into every cgroup v1 resource hierarchy, as runc's cgroupfs
 * manager does for the kubelet. Named hierarchies (name=systemd) are left alone: they hold no limits,
 * and moving dockerd out of its unit there would hide it from systemd.
 */
export class CgroupfsV1 implements RuntimeCgroup {
  readonly description: string;
  readonly #name: string;
  readonly #hierarchies: readonly CgroupMount[];
  readonly #procRoot: string;

  constructor(name: string, hierarchies: readonly CgroupMount[], procRoot: string) {
    this.#name = name;
    this.#hierarchies = hierarchies;
    this.#procRoot = procRoot;
    this.description = `cgroupfs v1 "${name}"`;
  }

  async ensure(memoryLimitBytes: number): Promise<void> {
    for (const mount of this.#hierarchies) {
      const dir = cgroupDir(mount, this.#name);
      await cgroupfsStep(`create "${dir}"`, () => makeDirs(dir));
      // A new cpuset cgroup starts with no CPUs and no memory nodes, and refuses tasks (ENOSPC)
      // until both are filled in, top-down from the nearest ancestor that has them.
      if (mount.controllers.includes("cpuset")) await this.#fillCpuset(mount.mountPoint, dir);
      if (mount.controllers.includes("memory")) {
        // Swap stays unlimited (-1) as in dockershim; the file exists only with swap accounting.
        if ((await readTrimmed(`${dir}/memory.memsw.limit_in_bytes`)) !== undefined) {
          await cgroupfsStep(`set "${dir}/memory.memsw.limit_in_bytes"`, () => writeFile(`${dir}/memory.memsw.limit_in_bytes`, "-1"));
        }
        await cgroupfsStep(`set "${dir}/memory.limit_in_bytes" to ${memoryLimitBytes}`, () => writeFile(`${dir}/memory.limit_in_bytes`, String(memoryLimitBytes)));
      }
    }
  }

  async contains(pid: number): Promise<boolean> {
    const cgroups = await readProcCgroups(pid, this.#procRoot);
    return this.#hierarchies.every((m) => pathIn(cgroups, m.controllers) === this.#name);
  }

  attach(pids: readonly number[]): Promise<void> {
    return movePids(this.#hierarchies.map((mount) => `${cgroupDir(mount, this.#name)}/cgroup.procs`), pids);
  }

  async #fillCpuset(mountPoint: string, dir: string): Promise<void> {
    const chain: string[] = [];
    for (let d = dir; d.length > mountPoint.length; d = dirname(d)) chain.unshift(d);
    for (const file of ["cpuset.cpus", "cpuset.mems"]) {
      let parentValue = await readTrimmed(`${mountPoint}/${file}`);
      for (const d of chain) {
        const own = await readTrimmed(`${d}/${file}`);
        if (own === "" && parentValue !== undefined && parentValue !== "") {
          const value = parentValue;
          await cgroupfsStep(`set "${d}/${file}"`, () => writeFile(`${d}/${file}`, value));
        } else {
          parentValue = own;
        }
      }
    }
  }
}
