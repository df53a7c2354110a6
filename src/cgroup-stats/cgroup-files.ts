import { closeSync, openSync, readSync } from "node:fs";

/** One buffer for every pseudo-file read: the reads are synchronous, so none overlaps another. */
const smallBuffer = Buffer.allocUnsafe(16 * 1024);
let buffer = smallBuffer;

/**
 * Reads of kernel pseudo-files (cgroup and /proc). They are read synchronously on purpose: the kernel
 * answers from memory in microseconds, while fs/promises costs four thread-pool round trips per file
 * (open, stat, read, close), about ten times as much for the hundreds of small files one
 * ListContainerStats reads. A missing file (a cgroup that went away, a controller this kernel lacks)
 * is undefined, and so is any other failure (ENODEV for a cgroup removed while we read it, EACCES):
 * one container's unreadable counter must never fail a whole ListContainerStats.
 *
 * Read as open, readFromStart, close: a pseudo-file's size is 0 to fstat, so readFileSync's size
 * probe and growing chunks are wasted work.
 */
export function readPseudoFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    return readFromStart(fd);
  } catch {
    return undefined;
  } finally {
    try {
      closeSync(fd);
    } catch {
      // Nothing to release.
    }
  }
}

/**
 * An open pseudo-file's whole text, read from offset 0 (so that a file held open reads afresh) into
 * the one shared buffer, until a read returns 0. A short read is not the end: a seq_file of many
 * records (net/dev of a namespace with many interfaces, a long cgroup.procs) answers a page per read.
 * A file bigger than the buffer grows it for that read only. Throws what readSync throws.
 */
export function readFromStart(fd: number): string {
  try {
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, length);
      if (n === 0) return buffer.toString("utf8", 0, length);
      length += n;
    }
  } finally {
    buffer = smallBuffer;
  }
}

/** How a pseudo-file is read whole: readPseudoFile, or HeldCgroupFiles.read for cgroupfs. */
export type ReadPseudoFile = (path: string) => string | undefined;

/** A file holding one unsigned integer, or "max" (cgroup v2's unlimited, read as undefined). */
export function readUint(path: string, read: ReadPseudoFile = readPseudoFile): bigint | undefined {
  const text = read(path);
  return text === undefined ? undefined : parseUint(text.trim());
}

export function parseUint(text: string): bigint | undefined {
  return /^\d+$/.test(text) ? BigInt(text) : undefined;
}

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat, memory.events, memory.oom_control). */
export function parseKeyValues(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  // By index rather than split("\n"): memory.stat has 40-odd lines, read for every container.
  for (let start = 0; start < text.length;) {
    const newline = text.indexOf("\n", start);
    const end = newline < 0 ? text.length : newline;
    const sep = text.indexOf(" ", start);
    if (sep > start && sep < end) {
      const value = parseUint(text.slice(sep + 1, end).trim());
      if (value !== undefined) out.set(text.slice(start, sep), value);
    }
    start = end + 1;
  }
  return out;
}

/**
 * The value of one "key value" line of such a file, without parsing the others: for the few keys of
 * memory.stat's 40-odd lines that CRI's stats carry. The key must be a whole line's first word
 * ("rss" does not match "total_rss" nor "rss_huge").
 */
export function keyValue(text: string, key: string): bigint | undefined {
  for (let at = text.indexOf(`${key} `); at >= 0; at = text.indexOf(`${key} `, at + 1)) {
    if (at !== 0 && text.charCodeAt(at - 1) !== 10) continue;
    const start = at + key.length + 1;
    const newline = text.indexOf("\n", start);
    return parseUint(text.slice(start, newline < 0 ? text.length : newline).trim());
  }
  return undefined;
}

export function readKeyValues(path: string, read: ReadPseudoFile = readPseudoFile): Map<string, bigint> | undefined {
  const text = read(path);
  return text === undefined ? undefined : parseKeyValues(text);
}

/** Number of non-empty lines (cgroup.procs: one pid per line). */
export function countLines(path: string, read: ReadPseudoFile = readPseudoFile): number | undefined {
  const text = read(path);
  if (text === undefined) return undefined;
  let n = 0;
  for (const line of text.split("\n")) if (line.trim() !== "") n++;
  return n;
}
