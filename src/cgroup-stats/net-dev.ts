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
 * compressed). A line is taken when its name is not empty and it has at least 16 fields, all digits.
 * Scanned by index, not split: a ListPodSandboxStats parses one file per pod.
 */
export function parseNetDev(text: string): InterfaceCounters[] {
  const out: InterfaceCounters[] = [];
  for (let start = 0; start < text.length;) {
    const newline = text.indexOf("\n", start);
    const end = newline < 0 ? text.length : newline;
    const colon = text.indexOf(":", start);
    if (colon >= 0 && colon < end) {
      const name = text.slice(start, colon).trim();
      const n = name === "" ? undefined : countersIn(text, colon + 1, end);
      if (n !== undefined) out.push({ name, rxBytes: n[0], rxPackets: n[1], rxErrors: n[2], rxDropped: n[3], txBytes: n[4], txPackets: n[5], txErrors: n[6], txDropped: n[7] });
    }
    start = end + 1;
  }
  return out;
}

/** The fields of a net/dev line that InterfaceCounters keeps: receive bytes, packets, errs, drop; the same of transmit. */
const keptFields = new Set([0, 1, 2, 3, 8, 9, 10, 11]);

type Eight = [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];

/** The kept fields of text[from, to), whitespace-separated; undefined unless there are 16 or more, all digits. */
function countersIn(text: string, from: number, to: number): Eight | undefined {
  const kept: bigint[] = [];
  let fields = 0;
  for (let i = from; ;) {
    while (i < to && isBlank(text.charCodeAt(i))) i++;
    if (i >= to) break;
    const start = i;
    for (; i < to && !isBlank(text.charCodeAt(i)); i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
    }
    if (keptFields.has(fields)) kept.push(uintIn(text, start, i));
    fields++;
  }
  return fields >= 16 ? (kept as Eight) : undefined;
}

function isBlank(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** The digits text[from, to) as a bigint: through a number while it is exact (15 digits), else the text. */
function uintIn(text: string, from: number, to: number): bigint {
  if (to - from > 15) return BigInt(text.slice(from, to));
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (text.charCodeAt(i) - 48);
  return BigInt(n);
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
