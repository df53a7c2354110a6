import { readFile, readdir } from "node:fs/promises";
import { CriError, errorMessage } from "../../errors/index.js";

/**
 * Kills a process and everything below it with SIGKILL, from the host's /proc, which docker-cri (a
 * root process in the host's PID namespace, beside dockerd) can see and signal.
 *
 * Why here and not through Docker: Docker has no "kill exec" endpoint, and a second exec running
 * `kill` needs a kill binary in the image (distroless images have none) and the process's pid inside
 * the container, which Docker does not report. Exec inspect does report the host pid, so this kills
 * it directly, and takes its children too, since a shell running the command would otherwise leave
 * the command itself running (cri-dockerd leaves the whole exec running).
 *
 * Guard against pid reuse: the pid comes from an exec inspect made a moment ago, and by now the exec
 * may have ended and its pid gone to any other process of the host. A PID-namespace check cannot tell
 * (a host-PID pod shares the host's namespace), so every process is proven to be the container's
 * before it is signalled: its cgroup (read from /proc/<pid>/cgroup) must be the container's own,
 * whose path Docker names after the full container id (`…/<id>` with cgroupfs, `docker-<id>.scope`
 * with systemd), and its start time must read the same before and after that check, so the cgroup
 * read belongs to the process that is signalled. A process that fails is left alone; the root process
 * failing is an error. The tree is collected before any signal, since killed parents get their
 * children reparented away.
 */
export interface KillProcessTreeOptions {
  readonly procRoot?: string;
  /** Sends SIGKILL; tests replace it to see what would be signalled. */
  readonly kill?: (pid: number) => void;
}

export interface KillProcessTreeResult {
  /** Processes signalled. */
  readonly killed: number;
  /** Processes of the tree left alone because they are not proven to be the container's. */
  readonly spared: number;
}

export async function killProcessTree(pid: number, containerId: string, opts: KillProcessTreeOptions = {}): Promise<KillProcessTreeResult> {
  const procRoot = opts.procRoot ?? "/proc";
  const kill = opts.kill ?? ((p: number) => { process.kill(p, "SIGKILL"); });
  if (!Number.isInteger(pid) || pid <= 0) throw new CriError("InvalidArgument", `Cannot kill process ${pid}`);
  if (!/^[0-9a-f]{64}$/.test(containerId)) throw new CriError("InvalidArgument", `Cannot kill processes of container "${containerId}": a full container id is needed to check their cgroup`);
  const root = await provenStart(procRoot, pid, containerId);
  if (root === "gone") throw new CriError("NotFound", `Cannot kill process ${pid}: it is gone or not visible from here`);
  if (root === "foreign") throw new CriError("FailedPrecondition", `Cannot kill process ${pid}: it is not in container ${containerId.slice(0, 12)}'s cgroup (its pid was reused)`);
  const tree = descendants(pid, await parentsByPid(procRoot));
  let killed = 0;
  let spared = 0;
  for (const p of tree) {
    const proof = await provenStart(procRoot, p, containerId);
    if (proof === "gone") continue;
    if (proof === "foreign") {
      spared++;
      continue;
    }
    try {
      kill(p);
      killed++;
    } catch (err) {
      // ESRCH: it exited meanwhile, which is what we wanted.
      if (!(err instanceof Error && "code" in err && err.code === "ESRCH")) throw err;
    }
  }
  return { killed, spared };
}

/**
 * "proven" when `pid` is in the container's cgroup and was the same process (same start time) before
 * and after its cgroup was read; "gone" when it vanished; "foreign" otherwise.
 */
async function provenStart(procRoot: string, pid: number, containerId: string): Promise<"proven" | "gone" | "foreign"> {
  const before = await startTime(procRoot, pid);
  if (before === undefined) return "gone";
  const cgroup = await readFile(`${procRoot}/${pid}/cgroup`, "utf8").catch(() => undefined);
  const after = await startTime(procRoot, pid);
  if (cgroup === undefined || after === undefined) return "gone";
  if (after !== before) return "foreign";
  return inContainerCgroup(cgroup, containerId) ? "proven" : "foreign";
}

/**
 * True when a /proc/<pid>/cgroup text puts the process in the container's cgroup: some hierarchy's
 * path has the id as a component (cgroupfs: `/docker/<id>`, `/kubepods/…/<id>`) or Docker's systemd
 * scope for it (`docker-<id>.scope`).
 */
export function inContainerCgroup(cgroupText: string, containerId: string): boolean {
  for (const line of cgroupText.split("\n")) {
    // "hierarchy-id:controllers:path"; the path itself may hold colons.
    const path = line.split(":").slice(2).join(":");
    for (const part of path.split("/")) {
      if (part === containerId || part === `docker-${containerId}.scope`) return true;
    }
  }
  return false;
}

async function startTime(procRoot: string, pid: number): Promise<string | undefined> {
  const stat = await readFile(`${procRoot}/${pid}/stat`, "utf8").catch(() => undefined);
  return stat === undefined ? undefined : parseStartTime(stat);
}

/** `pid` and all its descendants, parents first. */
export function descendants(pid: number, parents: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [child, parent] of parents) {
    const list = children.get(parent);
    if (list === undefined) children.set(parent, [child]);
    else list.push(child);
  }
  const out: number[] = [];
  const queue = [pid];
  const seen = new Set<number>();
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Parent pid of every process, from /proc/<pid>/stat (the 4th field, after the parenthesised name). */
async function parentsByPid(procRoot: string): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  const pids = (await readdir(procRoot).catch((err: unknown) => {
    throw new CriError("Internal", `Cannot list processes in ${procRoot}: ${errorMessage(err)}`, { cause: err });
  })).filter((e) => /^\d+$/.test(e));
  await Promise.all(
    pids.map(async (p) => {
      const stat = await readFile(`${procRoot}/${p}/stat`, "utf8").catch(() => "");
      const ppid = parseParentPid(stat);
      if (ppid !== undefined) parents.set(Number(p), ppid);
    }),
  );
  return parents;
}

/** Fields after the name: the name can hold spaces and parentheses, so they are counted from the last ")". */
function fieldsAfterName(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(")") + 1).trim().split(" ");
}

/** The 4th field of /proc/<pid>/stat. */
export function parseParentPid(stat: string): number | undefined {
  const ppid = Number(fieldsAfterName(stat)[1]);
  return Number.isInteger(ppid) && ppid >= 0 ? ppid : undefined;
}

/** The 22nd field of /proc/<pid>/stat: clock ticks after boot when the process started; with the pid, it names one process. */
export function parseStartTime(stat: string): string | undefined {
  if (stat.lastIndexOf(")") < 0) return undefined;
  const start = fieldsAfterName(stat)[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}
