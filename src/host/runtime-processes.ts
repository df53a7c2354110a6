import { readdir, readFile, readlink } from "node:fs/promises";
import { basename, join } from "node:path";
import { CriError, errorMessage } from "../errors/index.js";

/** A daemon of the container runtime to keep in the runtime cgroup. */
export interface RuntimeProcess {
  /** For logs and messages. */
  readonly label: string;
  /** Read first; a missing, unparsable or stale file (pid gone or of another program) falls back to `names`. */
  readonly pidFile?: string;
  /** Executable names (argv[0]'s base name, or the kernel's 15-character comm) to look for in /proc. */
  readonly names: readonly string[];
}

/**
 * dockerd and its containerd, where Docker puts them. Docker 20.10 writes /var/run/docker.pid; its
 * containerd is found by name ("docker-containerd" before Docker 18.09), as cri-dockerd does. Shims
 * (containerd-shim-runc-v2) are per-container and stay where they are.
 */
export const dockerRuntimeProcesses: readonly RuntimeProcess[] = [
  { label: "dockerd", pidFile: "/var/run/docker.pid", names: ["dockerd"] },
  { label: "containerd", names: ["containerd", "docker-containerd"] },
];

async function identity(procRoot: string, pid: number): Promise<{ comm: string; argv0: string } | undefined> {
  try {
    const [comm, cmdline] = await Promise.all([
      readFile(join(procRoot, String(pid), "comm"), "utf8"),
      readFile(join(procRoot, String(pid), "cmdline"), "utf8"),
    ]);
    const argv0 = cmdline.split("\0", 1)[0] ?? "";
    return { comm: comm.trim(), argv0: argv0 === "" ? "" : basename(argv0) };
  } catch {
    return undefined; // gone meanwhile
  }
}

function matches(id: { comm: string; argv0: string }, names: readonly string[]): boolean {
  return names.some((n) => id.argv0 === n || id.comm === n);
}

async function pidFromFile(path: string): Promise<number | undefined> {
  try {
    const text = (await readFile(path, "utf8")).trim();
    return /^\d{1,10}$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The pids of `proc`: the pid file's when it names a live process of the right name, else every
 * process of one of the names. Kernel threads (no cmdline) never match. Throws NotFound when none.
 */
export async function findRuntimePids(proc: RuntimeProcess, procRoot = "/proc"): Promise<number[]> {
  if (proc.pidFile !== undefined) {
    const pid = await pidFromFile(proc.pidFile);
    const id = pid === undefined ? undefined : await identity(procRoot, pid);
    if (pid !== undefined && id !== undefined && (proc.names.length === 0 || matches(id, proc.names))) return [pid];
  }
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = await readdir(procRoot);
  } catch (err) {
    throw new CriError("Internal", `Cannot list "${procRoot}": ${errorMessage(err)}`, { cause: err });
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const id = await identity(procRoot, pid);
    if (id !== undefined && id.argv0 !== "" && matches(id, proc.names)) pids.push(pid);
  }
  if (pids.length === 0) {
    const where = proc.pidFile === undefined ? "" : `no live process in "${proc.pidFile}" and `;
    throw new CriError("NotFound", `Cannot find ${proc.label}: ${where}no process named ${proc.names.map((n) => `"${n}"`).join(" or ")}`);
  }
  return pids.sort((a, b) => a - b);
}

/**
 * True when `pid` shares docker-cri's PID namespace. A runtime in another one runs in a container
 * (Docker in Docker) and is not ours to move. The kubelet compared with pid 1's namespace, which a
 * process without ptrace rights over pid 1 cannot read; ours is the same on a host where docker-cri
 * runs beside dockerd, which is the only place it can manage dockerd from.
 */
export async function inOurPidNamespace(pid: number, procRoot = "/proc"): Promise<boolean> {
  const [ours, theirs] = await Promise.all([readlink(join(procRoot, "self", "ns", "pid")), readlink(join(procRoot, String(pid), "ns", "pid"))]);
  return ours === theirs;
}
