import { rm, writeFile } from "node:fs/promises";
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
  } catch (err) {
    throw new CriError("FailedPrecondition", `Cannot use checkpoint directory "${dir}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return dir;
}
