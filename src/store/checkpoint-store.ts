import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { CriError, errorMessage } from "../errors/index.js";
import type { Logger } from "../logger/index.js";
import { writeFileAtomic } from "./atomic-write.js";
import { decodeCheckpoint, encodeCheckpoint, type SandboxCheckpoint } from "./sandbox-checkpoint.js";

/** Checkpoints are keyed by the sandbox container's full id, as cri-dockerd keys them. */
const fullId = /^[0-9a-f]{64}$/;
/** What a caller may look a checkpoint up by: a full id or a prefix of one. Anything else never touches the disk. */
const idOrPrefix = /^[0-9a-f]{1,64}$/;

/**
 * The sandbox checkpoints in <root>/sandbox: one file per sandbox, written atomically. A file that
 * does not parse or whose checksum does not match is removed with a warning and treated as absent,
 * so that one torn write never blocks a pod's cleanup.
 */
export class CheckpointStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  async write(id: string, checkpoint: Omit<SandboxCheckpoint, "legacy">): Promise<void> {
    if (!fullId.test(id)) throw new CriError("Internal", `Cannot write a checkpoint for "${id}": not a full sandbox id`);
    try {
      await writeFileAtomic(join(this.dir, id), encodeCheckpoint(checkpoint));
    } catch (err) {
      throw new CriError("Internal", `Cannot write checkpoint of sandbox "${id}" in "${this.dir}": ${errorMessage(err)}`, { cause: err });
    }
  }

  /** The checkpoint of a full id; undefined when absent or corrupt (a corrupt one is removed). */
  async read(id: string, log: Logger): Promise<SandboxCheckpoint | undefined> {
    if (!fullId.test(id)) return undefined;
    const path = join(this.dir, id);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if (errnoOf(err) === "ENOENT") return undefined;
      throw new CriError("Internal", `Cannot read checkpoint "${path}": ${errorMessage(err)}`, { cause: err });
    }
    const decoded = decodeCheckpoint(text);
    if (decoded.ok) return decoded.checkpoint;
    log.warn({ podSandboxId: id, path, reason: decoded.reason }, "Removing corrupt sandbox checkpoint");
    await this.remove(id).catch((err: unknown) => {
      log.error({ podSandboxId: id, path, err }, "Cannot remove corrupt sandbox checkpoint");
    });
    return undefined;
  }

  /** Removes a checkpoint; an absent one is fine. */
  async remove(id: string): Promise<void> {
    if (!fullId.test(id)) return;
    try {
      await rm(join(this.dir, id), { force: true });
    } catch (err) {
      throw new CriError("Internal", `Cannot remove checkpoint of sandbox "${id}": ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Ids of every checkpoint (temp files and anything not named like a sandbox id are skipped). */
  async list(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => fullId.test(n));
    } catch (err) {
      if (errnoOf(err) === "ENOENT") return [];
      throw new CriError("Internal", `Cannot list checkpoints in "${this.dir}": ${errorMessage(err)}`, { cause: err });
    }
  }

  /** The full id of the one checkpoint whose id starts with `prefix`; undefined when none or several. */
  async findId(prefix: string): Promise<string | undefined> {
    if (!idOrPrefix.test(prefix)) return undefined;
    if (fullId.test(prefix)) return (await this.list()).includes(prefix) ? prefix : undefined;
    const matches = (await this.list()).filter((id) => id.startsWith(prefix));
    return matches.length === 1 ? matches[0] : undefined;
  }
}

function errnoOf(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string" ? err.code : undefined;
}
