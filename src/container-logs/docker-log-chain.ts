import { open, stat, type FileHandle } from "node:fs/promises";
import type { Logger } from "../logger/index.js";
import type { CopyState } from "./copy-state.js";

/** One of Docker's json-file log files, held open so that renames and deletion cannot take it away. */
export interface SourceFile {
  readonly handle: FileHandle;
  readonly ino: bigint;
  /** The path it had when opened, for messages only. */
  readonly openedAs: string;
}

/** Docker keeps at most `max-file` files; a longer run of siblings is not Docker's doing. */
const maxSiblings = 100;

/**
 * Opens Docker's json-file log `path` and the rotated files beside it, oldest first.
 *
 * With `--log-opt max-size`, Docker rotates by renaming `path.(n-1)` to `path.n`, …, `path` to
 * `path.1` and creating a new `path` (with max-file=1 it truncates `path` in place instead; with
 * compress the rotated files become `path.n.gz`, which are not read here). A rotation during the scan
 * would shift the names under us, so the scan is repeated until `path` kept its inode throughout:
 * every rotation replaces `path`. Files are deduplicated by inode.
 */
export async function openDockerLogChain(path: string): Promise<SourceFile[]> {
  for (let attempt = 0; ; attempt++) {
    const before = await inodeOf(path);
    const rotated: SourceFile[] = [];
    for (let n = 1; n <= maxSiblings; n++) {
      const file = await openIfExists(`${path}.${n}`);
      if (file === undefined) break;
      rotated.push(file);
    }
    const main = await openIfExists(path);
    const after = await inodeOf(path);
    const files = [...rotated.reverse(), ...(main === undefined ? [] : [main])];
    if ((before === after && main?.ino === after) || attempt >= 4) return dedupe(files);
    await closeAll(files);
  }
}

/**
 * The files to read when copying (re)starts, oldest first, and where to start in the first: at the
 * saved offset of the saved file (found by inode and first bytes, possibly renamed by rotations
 * since), else from the start of the oldest file there (a fresh start: Docker's first byte).
 */
export async function resumeSources(path: string, saved: CopyState["source"], log: Logger): Promise<{ sources: SourceFile[]; offset: number; head: Buffer }> {
  const chain = await openDockerLogChain(path);
  if (saved === null) return { sources: chain, offset: 0, head: Buffer.alloc(0) };
  const head = Buffer.from(saved.head, "base64");
  const i = await locateSource(chain, BigInt(saved.ino), head);
  if (i >= 0) {
    await closeAll(chain.slice(0, i));
    return { sources: chain.slice(i), offset: saved.offset, head };
  }
  if (saved.offset > 0) {
    // Rotated away or compressed while docker-cri was down; or truncated in place (max-file=1),
    // which changes its first bytes: then its start is new output, and starting there is right.
    log.warn({ dockerLogPath: path }, "The Docker log file being copied is gone or was truncated; copying from the oldest one left");
  }
  return { sources: chain, offset: 0, head: Buffer.alloc(0) };
}

/** Index in `files` of the file with inode `ino` whose first bytes are `head`, or -1. */
export async function locateSource(files: readonly SourceFile[], ino: bigint, head: Buffer): Promise<number> {
  for (const [i, file] of files.entries()) {
    if (file.ino !== ino) continue;
    if (head.length === 0) return i;
    const buf = Buffer.alloc(head.length);
    const { bytesRead } = await file.handle.read(buf, 0, head.length, 0);
    if (bytesRead === head.length && buf.equals(head)) return i;
  }
  return -1;
}

export async function closeAll(files: readonly SourceFile[]): Promise<void> {
  await Promise.all(files.map((f) => f.handle.close().catch(() => undefined)));
}

/** Inode of `path`, undefined when it does not exist. */
export async function inodeOf(path: string): Promise<bigint | undefined> {
  try {
    return (await stat(path, { bigint: true })).ino;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined; // stat rejects with errno errors
    throw err;
  }
}

async function openIfExists(path: string): Promise<SourceFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined; // open rejects with errno errors
    throw err;
  }
  try {
    const st = await handle.stat({ bigint: true });
    return { handle, ino: st.ino, openedAs: path };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

async function dedupe(files: SourceFile[]): Promise<SourceFile[]> {
  const seen = new Set<bigint>();
  const out: SourceFile[] = [];
  for (const f of files) {
    if (seen.has(f.ino)) await f.handle.close();
    else {
      seen.add(f.ino);
      out.push(f);
    }
  }
  return out;
}
