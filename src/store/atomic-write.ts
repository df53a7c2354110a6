import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the old file or the new
 * one, never a torn one: write a temp file beside it (dot-prefixed, so directory listings skip it),
 * fsync it, rename it over the target, then fsync the directory so that the rename itself survives
 * a power cut.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  let renamed = false;
  try {
    const file = await open(tmp, "wx", mode);
    try {
      await file.writeFile(data, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
    renamed = true;
    const d = await open(dir, "r");
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } finally {
    if (!renamed) await rm(tmp, { force: true });
  }
}
