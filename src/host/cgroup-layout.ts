import { readFile } from "node:fs/promises";
import { CriError, errorMessage } from "../errors/index.js";

/** The resource controllers of cgroup v1; a v1 mount without any of them (name=systemd) holds no limits. */
const v1Controllers = new Set(["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "blkio", "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc"]);

/** One mounted cgroup hierarchy. */
export interface CgroupMount {
  /** Where it is mounted, e.g. /sys/fs/cgroup/memory. */
  readonly mountPoint: string;
  /** The cgroup of the hierarchy shown at the mount point ("/" unless we run in a cgroup namespace or a bind mount). */
  readonly root: string;
  /** v1 resource controllers, sorted; empty for cgroup v2 and for named v1 hierarchies. */
  readonly controllers: readonly string[];
}

/**
 * How this host mounts cgroups. Version 2 only when nothing but the unified hierarchy is mounted; a
 * hybrid host (v1 controllers plus cgroup2 at /sys/fs/cgroup/unified) is version 1, since its resource
 * controllers live in the v1 hierarchies.
 */
export type CgroupLayout =
  | { readonly version: 1; readonly hierarchies: readonly CgroupMount[]; readonly systemd: CgroupMount | undefined }
  | { readonly version: 2; readonly unified: CgroupMount };

/** Undoes mountinfo's octal escapes (`\040` is a space). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Parses /proc/self/mountinfo text (proc(5)) into the cgroup layout. */
export function parseCgroupLayout(mountinfo: string): CgroupLayout {
  const hierarchies: CgroupMount[] = [];
  const seen = new Set<string>();
  let systemd: CgroupMount | undefined;
  let unified: CgroupMount | undefined;
  for (const line of mountinfo.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const before = line.slice(0, sep).split(" ");
    const after = line.slice(sep + 3).split(" ");
    const root = before[3];
    const mountPoint = before[4];
    const fsType = after[0];
    const superOptions = after[2] ?? "";
    if (root === undefined || mountPoint === undefined) continue;
    const mount = { mountPoint: unescape(mountPoint), root: unescape(root) };
    if (fsType === "cgroup2") {
      unified ??= { ...mount, controllers: [] };
      continue;
    }
    if (fsType !== "cgroup") continue;
    const options = superOptions.split(",");
    const controllers = options.filter((o) => v1Controllers.has(o)).sort();
    if (controllers.length === 0) {
      if (options.includes("name=systemd")) systemd ??= { ...mount, controllers: [] };
      continue;
    }
    // The same hierarchy can be mounted twice (bind mounts); the first mount serves.
    const key = controllers.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    hierarchies.push({ ...mount, controllers });
  }
  if (hierarchies.length > 0) return { version: 1, hierarchies, systemd };
  if (unified !== undefined) return { version: 2, unified };
  throw new CriError("FailedPrecondition", "No cgroup filesystem is mounted (neither cgroup v1 controllers nor cgroup2 in /proc/self/mountinfo)");
}

export async function readCgroupLayout(mountinfoPath = "/proc/self/mountinfo"): Promise<CgroupLayout> {
  let text: string;
  try {
    text = await readFile(mountinfoPath, "utf8");
  } catch (err) {
    throw new CriError("FailedPrecondition", `Cannot read "${mountinfoPath}": ${errorMessage(err)}`, { cause: err });
  }
  return parseCgroupLayout(text);
}

/**
 * The directory of cgroup `name` (absolute in the hierarchy) in `mount`. A name outside the part of
 * the hierarchy that is mounted cannot be reached from here.
 */
export function cgroupDir(mount: CgroupMount, name: string): string {
  const root = mount.root === "/" ? "" : mount.root.replace(/\/+$/, "");
  if (root !== "" && name !== root && !name.startsWith(`${root}/`)) {
    throw new CriError("FailedPrecondition", `Cgroup "${name}" is outside the part of the hierarchy mounted at "${mount.mountPoint}" (which shows "${mount.root}")`);
  }
  const rel = name.slice(root.length).replace(/^\/+/, "");
  return rel === "" ? mount.mountPoint : `${mount.mountPoint.replace(/\/+$/, "")}/${rel}`;
}
