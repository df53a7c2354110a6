import { readFile } from "node:fs/promises";
import type { HostLimits } from "../../util/host-limits.js";
import { capabilityEnvironment, type CapabilityEnvironment } from "../translate/capabilities.js";

/** What the host allows of the container security features, read once at start-up. */
export interface HostSecurity {
  readonly capabilities: CapabilityEnvironment;
  readonly apparmorEnabled: boolean;
}

/**
 * The bounding set comes from HostLimits (this process's /proc/self/status: dockerd runs with the
 * same set on such hosts); the number of capabilities the kernel knows from cap_last_cap; AppArmor
 * from the module's "enabled" parameter ("Y").
 */
export async function readHostSecurity(limits: Pick<HostLimits, "boundingCapabilityNames">, paths = { capLastCap: "/proc/sys/kernel/cap_last_cap", apparmor: "/sys/module/apparmor/parameters/enabled" }): Promise<HostSecurity> {
  const [lastCap, apparmor] = await Promise.all([readFile(paths.capLastCap, "utf8").catch(() => ""), readFile(paths.apparmor, "utf8").catch(() => "")]);
  const last = Number.parseInt(lastCap.trim(), 10);
  // Without cap_last_cap (very old kernels), the bounding set itself is the best guess of "all".
  const known = Number.isInteger(last) ? last : limits.boundingCapabilityNames.length - 1;
  return { capabilities: capabilityEnvironment(limits.boundingCapabilityNames, known), apparmorEnabled: apparmor.trim().toUpperCase().startsWith("Y") };
}
