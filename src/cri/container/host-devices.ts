import { readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * Directories and nodes of the host's /dev that are not devices to hand over: the container's own
 * pseudo-terminals, shared memory and message queues are mounted by Docker, and its console and
 * ptmx are set up by runc (as runc's own host-device walk for privileged containers skips them).
 */
const skipped = new Set(["pts", "shm", "mqueue", "fd", ".lxc", ".lxd-mounts", ".udev", "console", "ptmx"]);

/**
 * Paths of the character and block devices under `root` (the host's /dev), recursively, for a
 * privileged container that cannot use Docker's privileged mode. Read at each such CreateContainer,
 * so that devices plugged in since start-up are included, as Docker's privileged mode would.
 */
export async function listHostDevices(root = "/dev"): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (dir === root && skipped.has(e.name)) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.isCharacterDevice() || e.isBlockDevice()) out.push(path);
    }
  };
  await walk(root);
  return out.sort();
}
