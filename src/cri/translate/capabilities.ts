import { CriError } from "../../errors/index.js";
import { capabilityNames } from "../../util/host-limits.js";

/**
 * What this host lets containers hold, read once at start-up. Docker's own `Privileged` and
 * `CapAdd: ["ALL"]` ask runc for every capability the kernel knows; where the capability bounding
 * set of dockerd (and ours) lacks some (this project's CI machines lack CAP_SYS_RESOURCE), runc's
 * capset fails at start ("unable to apply caps: operation not permitted"), while an explicit list of
 * the capabilities the host has works. So on such a host "all" means "all the host has", as
 * containerd does for privileged containers (it grants its own current capabilities).
 */
export interface CapabilityEnvironment {
  /** "CAP_CHOWN", … in the bounding set. */
  readonly bounding: readonly string[];
  /** True when the bounding set holds every capability the kernel knows: Docker's privileged mode works. */
  readonly full: boolean;
}

/** From the bounding set and the kernel's last capability number (/proc/sys/kernel/cap_last_cap). */
export function capabilityEnvironment(boundingNames: readonly string[], capLastCap: number): CapabilityEnvironment {
  const known = capabilityNames.slice(0, capLastCap + 1);
  const have = new Set(boundingNames);
  return { bounding: [...boundingNames], full: known.every((c) => have.has(c)) };
}

/** "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" → "CAP_NET_ADMIN"; "ALL" (any case) → "ALL". */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === "ALL") return "ALL";
  const full = upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
  if (!capabilityNames.includes(full)) throw new CriError("InvalidArgument", `Unknown capability "${name}"`);
  return full;
}

/**
 * Docker's CapAdd and CapDrop for an unprivileged container. "ALL" added becomes the host's list
 * when the host limits capabilities; a named capability outside the bounding set is refused here,
 * since runc could never grant it and the container would only fail at start.
 */
export function capabilityChanges(add: readonly string[], drop: readonly string[], env: CapabilityEnvironment): { capAdd: string[]; capDrop: string[] } {
  const capAdd: string[] = [];
  for (const raw of add) {
    const c = normalizeCapability(raw);
    if (c === "ALL") {
      capAdd.push(...(env.full ? ["ALL"] : env.bounding));
      continue;
    }
    if (!env.bounding.includes(c)) {
      throw new CriError("InvalidArgument", `Cannot add capability "${c}": it is not in this host's capability bounding set, so no container here can hold it`);
    }
    capAdd.push(c);
  }
  return { capAdd: [...new Set(capAdd)], capDrop: [...new Set(drop.map(normalizeCapability))] };
}
