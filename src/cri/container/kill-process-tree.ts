import { readFile, readdir, readlink } from "node:fs/promises";
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
 * Guard against pid reuse: the process must share its PID namespace with `namespacePeer` (the
 * container's first process). The tree is collected before any signal, since killed parents get
 * their children reparented away.
 */
export async function killProcessTree(pid: number, namespacePeer: number, procRoot = "/proc"): Promise<number> {
  if (pid <= 0) throw new CriError("InvalidArgument", `Cannot kill process ${pid}`);
  const [ns, peerNs] = await Promise.all([readlink(`${procRoot}/${pid}/ns/pid`), readlink(`${procRoot}/${namespacePeer}/ns/pid`)]).catch((err: unknown) => {
    throw new CriError("NotFound", `Cannot kill process ${pid}: it is gone or not visible from here (${errorMessage(err)})`, { cause: err });
  });
  if (ns !== peerNs) throw new CriError("FailedPrecondition", `Cannot kill process ${pid}: it is not in the container's PID namespace (pid reused?)`);
  const tree = descendants(pid, await parentsByPid(procRoot));
  let killed = 0;
  for (const p of tree) {
    try {
      process.kill(p, "SIGKILL");
      killed++;
    } catch (err) {
      // ESRCH: it exited meanwhile, which is what we wanted.
      if (!(err instanceof Error && "code" in err && err.code === "ESRCH")) throw err;
    }
  }
  return killed;
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
  const pids = (await readdir(procRoot)).filter((e) => /^\d+$/.test(e));
  await Promise.all(
    pids.map(async (p) => {
      const stat = await readFile(`${procRoot}/${p}/stat`, "utf8").catch(() => "");
      const ppid = parseParentPid(stat);
      if (ppid !== undefined) parents.set(Number(p), ppid);
    }),
  );
  return parents;
}

/** The name can hold spaces and parentheses, so fields are counted from the last ")". */
export function parseParentPid(stat: string): number | undefined {
  const rest = stat.slice(stat.lastIndexOf(")") + 1).trim().split(" ");
  const ppid = Number(rest[1]);
  return Number.isInteger(ppid) && ppid >= 0 ? ppid : undefined;
}
