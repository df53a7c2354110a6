import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** One line of /proc/<pid>/cgroup: `hierarchy-id:controllers:path`. */
export interface ProcCgroup {
  readonly hierarchyId: string;
  /** Sorted v1 controllers; named hierarchies keep their `name=` entry; empty for cgroup v2. */
  readonly controllers: readonly string[];
  readonly path: string;
}

export function parseProcCgroups(text: string): ProcCgroup[] {
  const out: ProcCgroup[] = [];
  for (const line of text.split("\n")) {
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    out.push({ hierarchyId: line.slice(0, first), controllers: controllers === "" ? [] : controllers.split(",").sort(), path: line.slice(second + 1) });
  }
  return out;
}

/** The cgroups of `pid`; rejects with ENOENT when the process is gone. */
export async function readProcCgroups(pid: number, procRoot: string): Promise<ProcCgroup[]> {
  return parseProcCgroups(await readFile(join(procRoot, String(pid), "cgroup"), "utf8"));
}

/** The path of `pid` in the v1 hierarchy with exactly these controllers (or `name=…`), or in v2 (`[]`). */
export function pathIn(cgroups: readonly ProcCgroup[], controllers: readonly string[]): string | undefined {
  const key = [...controllers].sort().join(",");
  return cgroups.find((c) => c.controllers.join(",") === key && (key !== "" || c.hierarchyId === "0"))?.path;
}
