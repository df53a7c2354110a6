import { writeFile } from "node:fs/promises";
import { CriError, errorMessage } from "../errors/index.js";

/**
 * The writes both cgroupfs managers (v1 and v2) make. A step that fails throws naming what it tried,
 * with the kernel's error as the cause.
 */
export async function cgroupfsStep(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw new CriError("Internal", `Cannot ${what}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Writes every pid into every `cgroup.procs` file given (one per v1 hierarchy, the one of v2). A pid
 * that cannot be moved does not stop the others; the failures are reported together at the end.
 */
export async function movePids(procsFiles: readonly string[], pids: readonly number[]): Promise<void> {
  const failures: string[] = [];
  for (const procs of procsFiles) {
    for (const pid of pids) {
      try {
        await writeFile(procs, String(pid));
      } catch (err) {
        failures.push(`pid ${pid} into "${procs}": ${errorMessage(err)}`);
      }
    }
  }
  if (failures.length > 0) throw new CriError("Internal", `Cannot move ${failures.join("; ")}`);
}
