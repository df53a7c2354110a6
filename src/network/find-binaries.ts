import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { join } from "node:path";

/** Returns the names of the executables not found in any of the directories. */
export async function missingBinaries(names: readonly string[], dirs: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) {
    let found = false;
    for (const dir of dirs) {
      try {
        await access(join(dir, name), constants.X_OK);
        found = true;
        break;
      } catch {
        // not in this directory; try the next
      }
    }
    if (!found) missing.push(name);
  }
  return missing;
}
