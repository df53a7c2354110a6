import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CriError } from "../errors/index.js";
import { makeDirs } from "../util/make-dirs.js";

/**
 * Creates the sandbox checkpoint directory (<root>/sandbox, where cri-dockerd keeps its checkpoints, so a
 * node switching from cri-dockerd keeps them) and proves it writable, so that a read-only or misowned root
 * fails start-up rather than the first RunPodSandbox.
 */
export async function openCheckpointDir(rootDirectory: string): Promise<string> {
  const dir = join(rootDirectory, "sandbox");
  try {
    await makeDirs(dir, 0o700);
    const probe = join(dir, `.probe-${process.pid}`);
    await writeFile(probe, "");
    await rm(probe);
    // A crash in the middle of an atomic write (or of this probe) leaves its dot-file behind, which no
    // listing shows and nothing would ever remove (found by test/chaos/crash-restart). Nothing else
    // writes here while docker-cri starts.
    for (const name of await readdir(dir)) {
      if (name.startsWith(".") && (name.includes(".tmp-") || name.startsWith(".probe-"))) await rm(join(dir, name), { force: true });
    }
  } catch (err) {
    throw new CriError("FailedPrecondition", `Cannot use checkpoint directory "${dir}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return dir;
}
