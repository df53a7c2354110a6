import { readFile } from "node:fs/promises";
import { CriError } from "../errors/index.js";

/**
 * The gid of a group given by name or number, as dockerd's `--group` takes it: a number is used as is,
 * a name is looked up in the group database file (`/etc/group`; no NSS, as Go's os/user does without cgo).
 */
export async function resolveGroupId(group: string, groupFile = "/etc/group"): Promise<number> {
  if (/^\d+$/.test(group)) {
    const gid = Number(group);
    if (gid > 0xfffffffe) throw new CriError("InvalidArgument", `Invalid group "${group}": a gid is at most 4294967294`);
    return gid;
  }
  let text: string;
  try {
    text = await readFile(groupFile, "utf8");
  } catch (err) {
    throw new CriError("FailedPrecondition", `Cannot look up group "${group}": cannot read ${groupFile}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  for (const line of text.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new CriError("FailedPrecondition", `Cannot look up group "${group}": no such group in ${groupFile}`);
}
