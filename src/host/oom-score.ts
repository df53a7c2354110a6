import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CriError, errorMessage } from "../errors/index.js";

/** The runtime's oom_score_adj the kubelet gave it (qos.DockerOOMScoreAdj). */
export const runtimeOomScoreAdj = -999;

export interface OomScoreChange {
  readonly before: number;
  readonly after: number;
  /** True when the host refused `wanted` and `after` is the lowest value it accepted. */
  readonly limited: boolean;
}

function isRefusal(err: unknown): boolean {
  const code: unknown = typeof err === "object" && err !== null ? Reflect.get(err, "code") : undefined;
  return code === "EACCES" || code === "EPERM";
}

/**
 * Lowers the oom_score_adj of `pid` to `wanted`, or as far as the host allows. Without
 * CAP_SYS_RESOURCE the kernel refuses values below the process's hidden floor (oom_score_adj_min,
 * inherited at fork), which cannot be read; so after a refusal the lowest accepted value is found by
 * bisection between `wanted` (refused) and the current value (always accepted): about ten writes, each
 * successful one lower than the last. Never raises a score that is already at or below `wanted`.
 */
export async function lowerOomScoreAdj(pid: number, wanted: number, procRoot = "/proc"): Promise<OomScoreChange> {
  const file = join(procRoot, String(pid), "oom_score_adj");
  let before: number;
  try {
    before = Number.parseInt((await readFile(file, "utf8")).trim(), 10);
  } catch (err) {
    throw new CriError("NotFound", `Cannot read the oom_score_adj of pid ${pid}: ${errorMessage(err)}`, { cause: err });
  }
  if (!Number.isInteger(before)) throw new CriError("Internal", `Cannot parse "${file}"`);
  if (before <= wanted) return { before, after: before, limited: false };

  const tryWrite = async (value: number): Promise<boolean> => {
    try {
      await writeFile(file, String(value));
      return true;
    } catch (err) {
      if (isRefusal(err)) return false;
      throw new CriError("Internal", `Cannot set the oom_score_adj of pid ${pid} to ${value}: ${errorMessage(err)}`, { cause: err });
    }
  };
  if (await tryWrite(wanted)) return { before, after: wanted, limited: false };
  let refused = wanted;
  let accepted = before;
  while (accepted - refused > 1) {
    const mid = Math.floor((refused + accepted) / 2);
    if (await tryWrite(mid)) accepted = mid;
    else refused = mid;
  }
  return { before, after: accepted, limited: true };
}
