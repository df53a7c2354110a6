import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * `mkdir -p` without `{ recursive: true }`, which on Node 20 can spin forever under /proc and other
 * pseudo filesystems where mkdir keeps answering ENOENT. Each missing level is made once; errors
 * propagate with their errno code.
 */
export async function makeDirs(dir: string, mode = 0o755): Promise<void> {
  try {
    const st = await stat(dir);
    if (st.isDirectory()) return;
    const err: NodeJS.ErrnoException = new Error(`ENOTDIR: not a directory, mkdir '${dir}'`);
    err.code = "ENOTDIR";
    throw err;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err; // stat rejects with errno errors
  }
  const parent = dirname(dir);
  if (parent !== dir) await makeDirs(parent, mode);
  try {
    await mkdir(dir, { mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err; // a concurrent maker won the race
  }
}
