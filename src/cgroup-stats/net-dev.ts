import { join } from "node:path";
import { readPseudoFile } from "./cgroup-files.js";
import type { ReadFiles } from "./read-files.js";

/** One interface's counters from /proc/<pid>/net/dev. */
export interface InterfaceCounters {
  readonly name: string;
  readonly rxBytes: bigint;
  readonly rxPackets: bigint;
  readonly rxErrors: bigint;
  readonly rxDropped: bigint;
  readonly txBytes: bigint;
  readonly txPackets: bigint;
  readonly txErrors: bigint;
  readonly txDropped: bigint;
}

/**
 * Parses /proc/net/dev (two header lines, then `name: 16 counters`, receive first: bytes packets errs
 * drop fifo frame compressed multicast, then transmit: bytes packets errs drop fifo colls carrier
 * compressed).
 */
export function parseNetDev(text: string): InterfaceCounters[] {
  const out: InterfaceCounters[] = [];
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/);
    if (name === "" || fields.length < 16 || !fields.every((f) => /^\d+$/.test(f))) continue;
    const n = (i: number): bigint => BigInt(fields[i] ?? "0");
    out.push({ name, rxBytes: n(0), rxPackets: n(1), rxErrors: n(2), rxDropped: n(3), txBytes: n(8), txPackets: n(9), txErrors: n(10), txDropped: n(11) });
  }
  return out;
}

/**
 * The interfaces of the network namespace `pid` lives in, loopback left out (the kubelet, like
 * cAdvisor, counts only real traffic). Reading through the pid's /proc needs no setns: the kernel
 * shows the file of the reader-named process's namespace. Undefined when the process is gone.
 */
export function readPodInterfaces(pid: number, procRoot = "/proc"): InterfaceCounters[] | undefined {
  if (pid <= 0) return undefined;
  return podInterfacesOf(readPseudoFile(netDevPath(pid, procRoot)));
}

/**
 * readPodInterfaces of many processes, their files read in one batch off the event loop with the
 * read-files addon (one by one without it). Each file is opened for the read and closed: an open
 * net/dev holds its network namespace, which must go when the pod does.
 */
export async function readPodInterfacesMany(pids: readonly number[], procRoot = "/proc", readFiles?: ReadFiles): Promise<Map<number, InterfaceCounters[] | undefined>> {
  const live = [...new Set(pids)].filter((pid) => pid > 0);
  if (readFiles === undefined) return new Map(live.map((pid) => [pid, readPodInterfaces(pid, procRoot)]));
  const texts = await readFiles(live.map((pid) => netDevPath(pid, procRoot)));
  return new Map(live.map((pid, i) => [pid, podInterfacesOf(texts[i])]));
}

function netDevPath(pid: number, procRoot: string): string {
  return join(procRoot, String(pid), "net", "dev");
}

function podInterfacesOf(text: string | undefined): InterfaceCounters[] | undefined {
  return text === undefined ? undefined : parseNetDev(text).filter((i) => i.name !== "lo");
}
