import type { CgroupReader } from "./cgroup-reader.js";
import { containerCgroupName, podCgroupName } from "./cgroup-names.js";

/** What locating a container's cgroup needs from Docker's inspect. */
export interface CgroupOwner {
  readonly id: string;
  readonly cgroupParent: string;
  /** The init process while running, else 0. */
  readonly pid: number;
}

/**
 * Finds containers' and pods' cgroups and remembers them (a cgroup never moves while its container
 * lives). The name comes from Docker's cgroup driver convention first; when nothing is there (a
 * daemon configured with another cgroup parent, a rootless daemon), from /proc/<pid>/cgroup.
 *
 * A remembered name is answered without looking at the filesystem (hundreds of containers per stats
 * call); a reader that finds nothing there calls forget, and the next lookup searches again.
 */
export class CgroupLocator {
  readonly #reader: CgroupReader;
  readonly #driver: "cgroupfs" | "systemd";
  readonly #procRoot: string;
  readonly #known = new Map<string, string>();

  constructor(reader: CgroupReader, driver: "cgroupfs" | "systemd", procRoot = "/proc") {
    this.#reader = reader;
    this.#driver = driver;
    this.#procRoot = procRoot;
  }

  get reader(): CgroupReader {
    return this.#reader;
  }

  /** The container's cgroup name; undefined when it has none (not running). */
  container(c: CgroupOwner): string | undefined {
    const known = this.#known.get(c.id);
    if (known !== undefined) return known;
    let name: string | undefined;
    try {
      name = containerCgroupName(this.#driver, c.cgroupParent, c.id);
    } catch {
      name = undefined;
    }
    if (name === undefined || !this.#reader.exists(name)) name = this.#reader.cgroupOfPid(c.pid, this.#procRoot);
    if (name === undefined || !this.#reader.exists(name)) {
      this.#known.delete(c.id);
      return undefined;
    }
    this.#known.set(c.id, name);
    return name;
  }

  /**
   * The pod's own cgroup (the sandbox's cgroup parent, which the kubelet gives every container of
   * the pod). Undefined when the sandbox has no parent of its own: its containers then sit beside
   * everyone else's in Docker's default parent, and pod totals have to be summed.
   */
  pod(sandbox: Pick<CgroupOwner, "cgroupParent">): string | undefined {
    if (sandbox.cgroupParent === "") return undefined;
    let name: string;
    try {
      name = podCgroupName(this.#driver, sandbox.cgroupParent);
    } catch {
      return undefined;
    }
    return name !== "/" && this.#reader.exists(name) ? name : undefined;
  }

  /** Drops the container's remembered cgroup: nothing could be read there. */
  forget(id: string): void {
    this.#known.delete(id);
  }

  /** Drops what is remembered for containers not in `live`. */
  retain(live: ReadonlySet<string>): void {
    for (const id of this.#known.keys()) if (!live.has(id)) this.#known.delete(id);
  }
}
