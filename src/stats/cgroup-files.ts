import { readFileSync } from "node:fs";
/**
 * Reads of kernel pseudo-files (cgroup and /proc). They are read synchronously on purpose: the kernel
 * answers from memory in microseconds, while fs/promises costs four thread-pool round trips per file
 * (open, stat, read, close), about ten times as much for the hundreds of small files one
 * ListContainerStats reads. A missing file (a cgroup that went away, a controller this kernel lacks)
 * is undefined, and so is any other failure (ENODEV for a cgroup removed while we read it, EACCES):
 * one container's unreadable counter must never fail a whole ListContainerStats.
 */
export function readPseudoFile(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** A file holding one unsigned integer, or "max" (cgroup v2's unlimited, read as undefined). */
export function readUint(path: string): bigint | undefined {
  const text = readPseudoFile(path);
  return text === undefined ? undefined : parseUint(text.trim());
}

export function parseUint(text: string): bigint | undefined {
  return /^\d+$/.test(text) ? BigInt(text) : undefined;
}

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat, memory.events, memory.oom_control). */
export function parseKeyValues(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of text.split("\n")) {
    const sep = line.indexOf(" ");
    if (sep <= 0) continue;
    const value = parseUint(line.slice(sep + 1).trim());
    if (value !== undefined) out.set(line.slice(0, sep), value);
  }
  return out;
}

export function readKeyValues(path: string): Map<string, bigint> | undefined {
  const text = readPseudoFile(path);
  return text === undefined ? undefined : parseKeyValues(text);
}

/** Number of non-empty lines (cgroup.procs: one pid per line). */
export function countLines(path: string): number | undefined {
  const text = readPseudoFile(path);
  if (text === undefined) return undefined;
  let n = 0;
  for (const line of text.split("\n")) if (line.trim() !== "") n++;
  return n;
}
