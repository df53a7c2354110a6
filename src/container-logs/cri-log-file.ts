import { constants } from "node:fs";
import { lstat, open, readdir, rm, truncate, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Logger } from "../logger/index.js";
import { makeDirs } from "../util/make-dirs.js";
import { inodeOf } from "./docker-log-chain.js";
import { symlinkTarget } from "./json-log-symlink.js";
import { rfc3339NanoToNs } from "./rfc3339-nano.js";

/** The CRI log file being appended to. */
export interface CriFile {
  readonly handle: FileHandle;
  readonly ino: bigint;
  /** Its size after our last write: we are its only writer. */
  size: number;
}

/** containerd's mode for container logs: the kubelet (root) reads them, other users do not. */
const criFileMode = 0o640;

/**
 * Opens `path` for appending (O_APPEND|O_CREAT), creating its directory if needed (the kubelet
 * makes it, critest too, but a CRI client need not).
 */
export async function openCriFile(path: string): Promise<CriFile> {
  await makeDirs(dirname(path));
  // "a+" (O_APPEND|O_CREAT|O_RDWR: readable for finding the last line when resuming without state),
  // plus O_NOFOLLOW: docker-cri writes as root what the container prints, so a symlink planted at the
  // log path (by anything with write access to the pod's log directory, e.g. a hostPath mount) must
  // not turn that output into appends to /etc/shadow or the like; the open fails with ELOOP instead.
  const handle = await open(path, constants.O_APPEND | constants.O_CREAT | constants.O_RDWR | constants.O_NOFOLLOW, criFileMode);
  try {
    const st = await handle.stat({ bigint: true });
    return { handle, ino: st.ino, size: Number(st.size) };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** What resuming found in the CRI file. */
export interface ResumedCriFile {
  readonly file: CriFile;
  /** With no recorded state: the time of the file's last line, to skip Docker entries up to it. */
  readonly skipThroughNs: bigint | undefined;
}

/**
 * Opens the CRI file for a resumed copy. The state recorded the file's inode and its size right
 * after the bytes for the recorded Docker offset were written; anything past that size was written
 * after the last save and will be copied again from the offset, so it is cut off first: no line is
 * duplicated and none lost. If the kubelet renamed the file since (log rotation), the renamed file
 * is found by inode in the same directory and cut there, and copying continues in a fresh `path`.
 *
 * With no recorded state (it was lost or corrupt) but lines in the file, the copy starts over from
 * Docker's first byte and skips entries up to the time of the file's last line.
 */
export async function resumeCriFile(path: string, recorded: { readonly ino: bigint; readonly size: number } | undefined, log: Logger): Promise<ResumedCriFile> {
  if ((await symlinkTarget(path)) !== undefined) {
    // Left by --container-log-mode=json-symlink: appending through it would write into Docker's file.
    log.info({ path }, "Replacing the symlink to Docker's log with a CRI log file");
    await rm(path, { force: true });
  }
  if (recorded !== undefined) {
    const current = await inodeOf(path);
    if (current !== recorded.ino) await cutRenamedFile(path, recorded, log);
    const file = await openCriFile(path);
    if (file.ino === recorded.ino) {
      if (file.size > recorded.size) {
        log.info({ path, bytes: file.size - recorded.size }, "Cutting CRI log lines written after the last saved offset; they are copied again");
        await file.handle.truncate(recorded.size);
        file.size = recorded.size;
      } else if (file.size < recorded.size) {
        log.warn({ path, size: file.size, recorded: recorded.size }, "The CRI log file is shorter than recorded; someone else truncated it");
      }
    }
    return { file, skipThroughNs: undefined };
  }
  const file = await openCriFile(path);
  if (file.size === 0) return { file, skipThroughNs: undefined };
  const tail = await lastLine(file);
  if (tail.cutTo !== file.size) {
    await file.handle.truncate(tail.cutTo);
    file.size = tail.cutTo;
  }
  if (tail.timeNs !== undefined) {
    log.warn({ path }, "No saved offset for a CRI log file that has lines; copying again from Docker's first entry newer than its last line");
  }
  return { file, skipThroughNs: tail.timeNs };
}

/** Cuts the renamed former CRI file (same directory, name starting with ours) back to `recorded.size`. */
async function cutRenamedFile(path: string, recorded: { readonly ino: bigint; readonly size: number }, log: Logger): Promise<void> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === base || !name.startsWith(base)) continue;
    const candidate = join(dir, name);
    const st = await lstat(candidate, { bigint: true }).catch(() => undefined);
    if (st?.isFile() !== true || st.ino !== recorded.ino) continue;
    if (Number(st.size) > recorded.size) {
      log.info({ path: candidate, bytes: Number(st.size) - recorded.size }, "Cutting lines written after the last saved offset from the rotated CRI log file; they are copied again");
      await truncate(candidate, recorded.size);
    }
    return;
  }
  log.warn({ path }, "The CRI log file was rotated and its former file is gone; lines written after the last saved offset may appear twice");
}

/**
 * The time of the last complete line, and the size that keeps only complete lines (a torn write
 * can only come from a power loss; what follows the last "\n" is then garbage).
 */
async function lastLine(file: CriFile): Promise<{ timeNs: bigint | undefined; cutTo: number }> {
  const window = Math.min(file.size, 1024 * 1024);
  const start = file.size - window;
  const buf = Buffer.alloc(window);
  const { bytesRead } = await file.handle.read(buf, 0, window, start);
  const data = buf.subarray(0, bytesRead);
  const end = data.lastIndexOf(0x0a);
  if (end < 0) return { timeNs: undefined, cutTo: start === 0 ? 0 : file.size };
  const lineStart = data.lastIndexOf(0x0a, end - 1) + 1;
  if (lineStart === 0 && start > 0) return { timeNs: undefined, cutTo: start + end + 1 };
  const line = data.toString("utf8", lineStart, end);
  const space = line.indexOf(" ");
  return { timeNs: space > 0 ? rfc3339NanoToNs(line.slice(0, space)) : undefined, cutTo: start + end + 1 };
}
