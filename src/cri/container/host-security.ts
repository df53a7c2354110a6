import { readFile } from "node:fs/promises";
import { dockerApiErrorOf, type ContainersApi } from "../../docker/index.js";
import { hasKind } from "../../errors/index.js";
import { capabilityNames, type HostLimits } from "../../host/host-limits.js";
import { capabilityEnvironment, type CapabilityEnvironment } from "../translate/capabilities.js";

/** What the host allows of the container security features, read once at start-up. */
export interface HostSecurity {
  readonly capabilities: CapabilityEnvironment;
  readonly apparmorEnabled: boolean;
}

/**
 * The bounding set comes from HostLimits (this process's /proc/self/status: dockerd runs with the
 * same set on such hosts); the number of capabilities the kernel knows from cap_last_cap; which of
 * those Docker knows from asking it (probeDockerCapabilities); AppArmor from the module's "enabled"
 * parameter ("Y").
 */
export async function readHostSecurity(
  limits: Pick<HostLimits, "boundingCapabilityNames">,
  containers: Pick<ContainersApi, "create" | "remove">,
  signal: AbortSignal,
  paths = { capLastCap: "/proc/sys/kernel/cap_last_cap", apparmor: "/sys/module/apparmor/parameters/enabled" },
): Promise<HostSecurity> {
  const [lastCap, apparmor] = await Promise.all([readFile(paths.capLastCap, "utf8").catch(() => ""), readFile(paths.apparmor, "utf8").catch(() => "")]);
  const last = Number.parseInt(lastCap.trim(), 10);
  // Without cap_last_cap (very old kernels), the bounding set itself is the best guess of "all".
  const known = Number.isInteger(last) ? last : limits.boundingCapabilityNames.length - 1;
  const unknown = await probeDockerCapabilities(containers, capabilityNames.slice(0, known + 1), signal);
  return { capabilities: capabilityEnvironment(limits.boundingCapabilityNames, known, unknown), apparmorEnabled: apparmor.trim().toUpperCase().startsWith("Y") };
}

/** An image no Docker has: the probe's create always stops before creating anything. */
const probeImage = "docker-cri.invalid/capability-probe:none";

/**
 * The capabilities Docker refuses as unknown, from `POST /containers/create` with them all in CapAdd
 * and an image that does not exist: Docker checks capabilities before it looks the image up, and
 * names one unknown capability per answer ("invalid CapAdd: unknown capability: \"CAP_PERFMON\""),
 * so a few calls find them all and none creates a container.
 */
export async function probeDockerCapabilities(containers: Pick<ContainersApi, "create" | "remove">, candidates: readonly string[], signal: AbortSignal): Promise<string[]> {
  const unknown: string[] = [];
  let left = [...candidates];
  for (let i = 0; i <= candidates.length && left.length > 0; i++) {
    try {
      const created = await containers.create("", { Image: probeImage, HostConfig: { CapAdd: left } }, signal);
      // Only a Docker that does not check the image would get here; leave nothing behind.
      await containers.remove(created.id, { force: true }, signal).catch(() => undefined);
      return unknown;
    } catch (err) {
      if (hasKind(err, "NotFound")) return unknown; // "No such image": every capability left passed
      const named = dockerApiErrorOf(err)?.unknownCapability;
      if (named === undefined || !left.includes(named)) return unknown;
      unknown.push(named);
      left = left.filter((c) => c !== named);
    }
  }
  return unknown;
}
