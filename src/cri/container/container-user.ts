import { readFile } from "node:fs/promises";
import type { ContainerInspect } from "../../docker/index.js";

/** The identity of a running process, as ContainerStatus.user reports it. */
export interface ProcessUser {
  readonly uid: bigint;
  readonly gid: bigint;
  readonly supplementalGroups: bigint[];
}

/**
 * The user, group and supplemental groups of the container's first process, read from the host's
 * /proc: Docker resolves a user name and the image's /etc/group memberships inside runc, so this is
 * the only place the final values can be seen. Undefined when the process is gone or unreadable.
 */
export async function readProcessUser(pid: number, procRoot = "/proc"): Promise<ProcessUser | undefined> {
  if (pid <= 0) return undefined;
  let text: string;
  try {
    text = await readFile(`${procRoot}/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  return parseProcessUser(text);
}

const firstUsers = new WeakMap<ContainerInspect, Promise<ProcessUser | undefined>>();

/**
 * The user of a running container's first process (undefined when it is not running), read once for
 * each inspect of it: the state cache replaces a container's inspect on every change (a start among
 * them), and CRI's ContainerUser is the identity initially attached to the first process. A kubelet
 * asks for it twice a minute per pod (ContainerStatus, and PodSandboxStatus for each container).
 */
export function containerProcessUser(c: ContainerInspect): Promise<ProcessUser | undefined> {
  if (!c.state.running) return Promise.resolve(undefined);
  let user = firstUsers.get(c);
  if (user === undefined) {
    user = readProcessUser(c.state.pid);
    firstUsers.set(c, user);
  }
  return user;
}

/** Parses the Uid, Gid and Groups lines of /proc/<pid>/status (the real ids come first). */
export function parseProcessUser(statusText: string): ProcessUser | undefined {
  const field = (name: string): string[] | undefined => {
    const m = new RegExp(`^${name}:[ \\t]*(.*)$`, "m").exec(statusText);
    return m?.[1]?.trim().split(/\s+/).filter((s) => s !== "");
  };
  const uid = field("Uid")?.[0];
  const gid = field("Gid")?.[0];
  if (uid === undefined || gid === undefined || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) return undefined;
  const groups = (field("Groups") ?? []).filter((g) => /^\d+$/.test(g)).map((g) => BigInt(g));
  return { uid: BigInt(uid), gid: BigInt(gid), supplementalGroups: groups };
}
