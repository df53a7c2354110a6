import { readFile } from "node:fs/promises";

/** The name of group `gid` from /etc/group (`name:x:gid:members`); undefined when it has none there. */
export async function groupName(gid: number, groupFile = "/etc/group"): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(groupFile, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [name, , id] = line.split(":");
    if (name !== undefined && name !== "" && id !== undefined && Number(id) === gid) return name;
  }
  return undefined;
}
