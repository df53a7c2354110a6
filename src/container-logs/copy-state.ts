import { randomBytes } from "node:crypto";
import { open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { CriError, errorMessage } from "../errors/index.js";
import type { Logger } from "../logger/index.js";

export type ContainerLogMode = "cri" | "json-symlink";
export const containerLogModes: readonly ContainerLogMode[] = ["cri", "json-symlink"];

/** Where the copy of one container's output stands: enough to resume it after a restart. */
export interface CopyState {
  readonly containerId: string;
  readonly mode: ContainerLogMode;
  readonly dockerLogPath: string;
  readonly criLogPath: string;
  /** Final flush done (container exited or removed); a later start() resumes anyway. */
  readonly stopped: boolean;
  /**
   * The Docker file being read: its inode (a decimal string: inodes are 64-bit), the byte offset
   * after the last json-file line copied, and its first bytes (base64, at most 128, never past
   * the offset) to tell it from a later file that reused the inode number. Null before the first read.
   */
  readonly source: { readonly ino: string; readonly offset: number; readonly head: string } | null;
  /**
   * The CRI file being written, and its size right after the bytes for `source.offset` were
   * written. Null before it was first opened.
   */
  readonly cri: { readonly ino: string; readonly size: number } | null;
  /**
   * Only after a start that found lines in the CRI file but no state: Docker entries up to this
   * time (ns since the epoch, decimal) are still being skipped. Null otherwise.
   */
  readonly skipThroughNs: string | null;
}

const stateVersion = 1;
const fileSuffix = ".json";

/** Container ids become file names: refuse anything that could leave the state directory. */
export function checkContainerId(containerId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(containerId)) {
    throw new CriError("InvalidArgument", `Invalid container id "${containerId}": expected letters, digits, "_", "." or "-"`);
  }
}

export function statePath(stateDir: string, containerId: string): string {
  return join(stateDir, `${containerId}${fileSuffix}`);
}

/**
 * Replaces the state file atomically (temp file, rename). `durable` also fsyncs the file and the
 * directory; the frequent saves while copying skip that, because a process crash keeps what the
 * kernel already has and a lost save only makes the resume re-copy (and truncate) a little more.
 */
export async function writeCopyState(stateDir: string, state: CopyState, durable: boolean): Promise<void> {
  const path = statePath(stateDir, state.containerId);
  const tmp = join(stateDir, `.${state.containerId}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  let renamed = false;
  try {
    const file = await open(tmp, "wx", 0o600);
    try {
      await file.writeFile(JSON.stringify({ version: stateVersion, ...state }), "utf8");
      if (durable) await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
    renamed = true;
    if (durable) {
      const dir = await open(stateDir, "r");
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  } finally {
    if (!renamed) await rm(tmp, { force: true });
  }
}

export async function removeCopyState(stateDir: string, containerId: string): Promise<void> {
  await rm(statePath(stateDir, containerId), { force: true });
}

/** The state of one container, or undefined when there is none; a corrupt file is removed with a warning. */
export async function readCopyState(stateDir: string, containerId: string, log: Logger): Promise<CopyState | undefined> {
  const path = statePath(stateDir, containerId);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined; // readFile rejects with errno errors
    throw err;
  }
  const state = parseCopyState(text, containerId);
  if (state === undefined) {
    log.warn({ containerId, path }, "Removing a corrupt container log copy state; a later start() de-duplicates by timestamp");
    await rm(path, { force: true });
  }
  return state;
}

/** Every container id with a state file, temp files of interrupted writes removed on the way. */
export async function listCopyStates(stateDir: string, log: Logger): Promise<string[]> {
  const ids: string[] = [];
  for (const name of await readdir(stateDir)) {
    if (name.startsWith(".") && name.includes(".tmp-")) {
      await rm(join(stateDir, name), { force: true }).catch((err: unknown) => {
        log.warn({ name, err: errorMessage(err) }, "Cannot remove a leftover temp file of the container log state");
      });
      continue;
    }
    if (name.endsWith(fileSuffix)) ids.push(name.slice(0, -fileSuffix.length));
  }
  return ids.sort();
}

function parseCopyState(text: string, containerId: string): CopyState | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(raw) || raw.version !== stateVersion || raw.containerId !== containerId) return undefined;
  const { mode, dockerLogPath, criLogPath, stopped, source, cri } = raw;
  const skipThroughNs = raw.skipThroughNs ?? null;
  if (mode !== "cri" && mode !== "json-symlink") return undefined;
  if (typeof dockerLogPath !== "string" || typeof criLogPath !== "string" || typeof stopped !== "boolean") return undefined;
  let parsedSource: CopyState["source"] = null;
  if (source !== null) {
    if (!isObject(source) || !isInode(source.ino) || !isSize(source.offset) || typeof source.head !== "string") return undefined;
    parsedSource = { ino: source.ino, offset: source.offset, head: source.head };
  }
  let parsedCri: CopyState["cri"] = null;
  if (cri !== null) {
    if (!isObject(cri) || !isInode(cri.ino) || !isSize(cri.size)) return undefined;
    parsedCri = { ino: cri.ino, size: cri.size };
  }
  if (skipThroughNs !== null && !(typeof skipThroughNs === "string" && /^\d{1,25}$/.test(skipThroughNs))) return undefined;
  return { containerId, mode, dockerLogPath, criLogPath, stopped, source: parsedSource, cri: parsedCri, skipThroughNs };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isInode(v: unknown): v is string {
  return typeof v === "string" && /^\d{1,20}$/.test(v);
}

function isSize(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
