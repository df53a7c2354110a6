import { CriError } from "../../errors/index.js";
import { capabilityNames } from "../../host/host-limits.js";

/**
 * What this host lets containers hold, read once at start-up. Docker's own `Privileged` and
 * `CapAdd: ["ALL"]` ask runc for every capability the kernel knows; where the capability bounding
 * set of dockerd (and ours) lacks some (this project's CI machines lack CAP_SYS_RESOURCE), runc's
 * capset fails at start ("unable to apply caps: operation not permitted"), while an explicit list of
 * the capabilities the host has works. So on such a host "all" means "all the host has", as
 * containerd does for privileged containers (it grants its own current capabilities).
 */
export interface CapabilityEnvironment {
  /** "CAP_CHOWN", …: in the host's bounding set and known to Docker, so a container can be given them. */
  readonly bounding: readonly string[];
  /** Capabilities the kernel has that this Docker does not know (Docker 20.10 predates CAP_PERFMON, CAP_BPF, …). */
  readonly unknownToDocker: readonly string[];
  /** True when the bounding set holds every capability Docker would ask for: Docker's privileged mode works. */
  readonly full: boolean;
}

/**
 * From the bounding set, the kernel's last capability number (/proc/sys/kernel/cap_last_cap) and the
 * capabilities Docker refuses as unknown. Docker's privileged mode asks runc for every capability it
 * knows (of those the kernel has), so those are what "full" is about.
 */
export function capabilityEnvironment(boundingNames: readonly string[], capLastCap: number, unknownToDocker: readonly string[] = []): CapabilityEnvironment {
  const unknown = new Set(unknownToDocker);
  const dockerKnown = capabilityNames.slice(0, capLastCap + 1).filter((c) => !unknown.has(c));
  const have = new Set(boundingNames);
  return { bounding: boundingNames.filter((c) => !unknown.has(c)), unknownToDocker: [...unknown], full: dockerKnown.every((c) => have.has(c)) };
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
    if (env.unknownToDocker.includes(c)) throw new CriError("InvalidArgument", `Cannot add capability "${c}": this Docker does not know it`);
    if (!env.bounding.includes(c)) {
      throw new CriError("InvalidArgument", `Cannot add capability "${c}": it is not in this host's capability bounding set, so no container here can hold it`);
    }
    capAdd.push(c);
  }
  // Docker refuses a name it does not know even in CapDrop; such a capability is never granted anyway.
  const capDrop = drop.map(normalizeCapability).filter((c) => !env.unknownToDocker.includes(c));
  return { capAdd: [...new Set(capAdd)], capDrop: [...new Set(capDrop)] };
}
