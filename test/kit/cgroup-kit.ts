/**
 * Reads a process's cgroup files the plain way, independent of src/stats: its path from
 * /proc/<pid>/cgroup, the files under /sys/fs/cgroup. Tests compare docker-cri's stats with these.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { readCgroupLayout } from "../../src/host/index.js";

const root = "/sys/fs/cgroup";

function isV2(): boolean {
  try {
    readFileSync(join(root, "cgroup.controllers"));
    return true;
  } catch {
    return false;
  }
}

/** The directory of `pid`'s cgroup for a v1 controller (or the v2 directory). */
export function cgroupDirOf(pid: number, controller: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
  if (isV2()) {
    const line = lines.find((l) => l.startsWith("0::"));
    return join(root, line?.slice(3) ?? "/");
  }
  const line = lines.find((l) => l.split(":")[1]?.split(",").includes(controller));
  if (line === undefined) throw new Error(`pid ${pid} has no ${controller} cgroup`);
  return join(root, controller, line.split(":").slice(2).join(":"));
}

/** Directory of a cgroup given by name (for pod cgroups). */
export function cgroupDirNamed(name: string, controller: string): string {
  return isV2() ? join(root, name) : join(root, controller, name);
}

function num(path: string): bigint {
  return BigInt(readFileSync(path, "utf8").trim());
}

function stat(path: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of readFileSync(path, "utf8").trim().split("\n")) {
    const [k, v] = line.split(" ");
    if (k !== undefined && v !== undefined && /^\d+$/.test(v)) out.set(k, BigInt(v));
  }
  return out;
}

export interface FileCounters {
  cpuNs: bigint;
  usage: bigint;
  workingSet: bigint;
  rss: bigint;
  pids: bigint;
}

/** The counters docker-cri reports, computed from the files as cAdvisor defines them. */
export function readCounters(dirs: { cpu: string; memory: string; pids: string }): FileCounters {
  if (isV2()) {
    const usage = num(join(dirs.memory, "memory.current"));
    const m = stat(join(dirs.memory, "memory.stat"));
    const inactive = m.get("inactive_file") ?? 0n;
    return { cpuNs: (stat(join(dirs.cpu, "cpu.stat")).get("usage_usec") ?? 0n) * 1000n, usage, workingSet: usage > inactive ? usage - inactive : 0n, rss: m.get("anon") ?? 0n, pids: num(join(dirs.pids, "pids.current")) };
  }
  const usage = num(join(dirs.memory, "memory.usage_in_bytes"));
  const m = stat(join(dirs.memory, "memory.stat"));
  const inactive = m.get("total_inactive_file") ?? 0n;
  return { cpuNs: num(join(dirs.cpu, "cpuacct.usage")), usage, workingSet: usage > inactive ? usage - inactive : 0n, rss: m.get("total_rss") ?? 0n, pids: num(join(dirs.pids, "pids.current")) };
}

export function dirsOfPid(pid: number): { cpu: string; memory: string; pids: string } {
  return { cpu: cgroupDirOf(pid, "cpuacct"), memory: cgroupDirOf(pid, "memory"), pids: cgroupDirOf(pid, "pids") };
}

export function dirsNamed(name: string): { cpu: string; memory: string; pids: string } {
  return { cpu: cgroupDirNamed(name, "cpuacct"), memory: cgroupDirNamed(name, "memory"), pids: cgroupDirNamed(name, "pids") };
}

/** Asserts lo − slack ≤ v ≤ hi + slack (lo, hi read before and after the call under test). */
export function within(v: bigint | undefined, a: bigint, b: bigint, slack: bigint, what: string): void {
  const lo = a < b ? a : b;
  const hi = a < b ? b : a;
  if (v === undefined || v < lo - slack || v > hi + slack) throw new Error(`${what}: ${v} is not within [${lo - slack}, ${hi + slack}]`);
}

/**
 * A cgroup made for a test where any process may be moved in: in the pids hierarchy on v1, the unified
 * tree on v2 (tests run as root). `counter` is a file there that changes when a process moves in
 * (pids.current on v1, cgroup.events on v2); `remove` takes the cgroup away again (nothing if gone).
 */
export async function makeTestCgroup(prefix: string): Promise<{ dir: string; counter: string; remove: () => Promise<void> }> {
  const layout = await readCgroupLayout();
  const mount = layout.version === 2 ? layout.unified : layout.hierarchies.find((h) => h.controllers.includes("pids"));
  if (mount === undefined) throw new Error("this host has neither a pids hierarchy (v1) nor the unified one (v2)");
  const dir = `${mount.mountPoint}/docker-cri-test-${prefix}-${randomBytes(4).toString("hex")}`;
  await mkdir(dir);
  return { dir, counter: layout.version === 2 ? "cgroup.events" : "pids.current", remove: () => rmdir(dir).catch(() => undefined) };
}
