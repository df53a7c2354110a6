/**
 * An exclusive lock between processes (and between callers in one process) on a file, held while `fn`
 * runs.
 *
 * It uses flock(2), through util-linux's flock(1) because Node has no binding: we open the file, hand
 * the descriptor to `flock -x 3`, and the lock, which belongs to the open file description we share
 * with the child, stays ours after the child exits — until we close the descriptor. The kernel
 * releases it if this process dies, so there is no stale lock file to detect or break, unlike an
 * O_EXCL lock file whose owner crashed.
 */
import { spawn } from "node:child_process";
import { open } from "node:fs/promises";

export interface FileLockOptions {
  /** Give up after this many milliseconds, default 300 000. */
  readonly timeoutMs?: number;
}

export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const handle = await open(path, "a", 0o666);
  try {
    await lockDescriptor(path, handle.fd, options.timeoutMs ?? 300_000);
    return await fn();
  } finally {
    await handle.close();
  }
}

function lockDescriptor(path: string, fd: number, timeoutMs: number): Promise<void> {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  return new Promise<void>((resolve, reject) => {
    const child = spawn("flock", ["--exclusive", "--timeout", String(seconds), "3"], {
      stdio: ["ignore", "ignore", "pipe", fd],
    });
    let stderr = "";
    // stdio[2] is "pipe", so stderr is set; the `?.` only satisfies the ChildProcess type.
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", (err) => {
      reject(new Error(`Cannot lock "${path}": cannot run flock (install util-linux): ${err.message}`, { cause: err }));
    });
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`Cannot lock "${path}": flock exited with ${code} after up to ${seconds} s: ${stderr.trim()}`));
    });
  });
}
