import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { join } from "node:path";

/** The path of the first executable `name` in `dirs` (searched in order, as libcni's FindInPath), or undefined. */
export async function findBinary(name: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory; try the next
    }
  }
  return undefined;
}

/** Returns the names of the executables not found in any of the directories. */
export async function missingBinaries(names: readonly string[], dirs: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) {
    if ((await findBinary(name, dirs)) === undefined) missing.push(name);
  }
  return missing;
}
