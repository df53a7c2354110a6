/**
 * Network namespaces Docker keeps mounted under its exec root (`/run/docker/netns/<sandbox>`) that
 * no running container holds: what a crash could leak. An unmounted file left there (dockerd leaves
 * those when it is killed) is no namespace and does not count; `default` is the host's.
 */
import { readFile } from "node:fs/promises";
import { dockerJson, isRecord } from "../../kit/docker-api.js";

const netnsDirs = ["/run/docker/netns/", "/var/run/docker/netns/"];

/** Mount points of nsfs mounts under Docker's netns directory, except the host's `default`. */
async function mountedDockerNetns(): Promise<string[]> {
  const out: string[] = [];
  for (const line of (await readFile("/proc/self/mountinfo", "utf8")).split("\n")) {
    const [left, right] = line.split(" - ");
    const mountPoint = left?.split(" ")[4];
    if (mountPoint === undefined || right?.split(" ")[0] !== "nsfs") continue;
    if (netnsDirs.some((d) => mountPoint.startsWith(d)) && !mountPoint.endsWith("/default")) out.push(mountPoint);
  }
  return out;
}

/** The network namespaces (by mount point) that no running Docker container on the shared daemon uses. */
export async function unheldDockerNetns(): Promise<string[]> {
  const mounted = await mountedDockerNetns();
  if (mounted.length === 0) return [];
  const held = new Set<string>();
  const running = await dockerJson({ method: "GET", path: "/containers/json" });
  for (const c of Array.isArray(running) ? running : []) {
    if (!isRecord(c) || typeof c.Id !== "string") continue;
    const inspected = await dockerJson({ method: "GET", path: `/containers/${c.Id}/json` }).catch(() => undefined);
    const key = isRecord(inspected) && isRecord(inspected.NetworkSettings) ? inspected.NetworkSettings.SandboxKey : undefined;
    if (typeof key === "string" && key !== "") for (const d of netnsDirs) held.add(key.replace(/^\/(var\/)?run\/docker\/netns\//, d));
  }
  // A container started or stopped meanwhile: read the mounts again and keep what stayed unheld.
  const again = new Set(await mountedDockerNetns());
  return mounted.filter((m) => !held.has(m) && again.has(m));
}
