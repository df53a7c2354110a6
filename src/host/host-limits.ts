import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** Linux capability names by bit number (include/uapi/linux/capability.h), as Docker spells them. */
export const capabilityNames: readonly string[] = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
  "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
  "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
  "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
  "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
];

const capSysResource = 24n;

/** The kernel's floor for oom_score_adj. */
export const oomScoreAdjMin = -1000;

/**
 * What this host lets the processes we start do, read once at start-up from /proc/self. The OOM
 * floor matters because runc writes the container's oom_score_adj with the privileges dockerd and
 * this process share: lowering it below the writer's own value needs CAP_SYS_RESOURCE, and without
 * it the container fails to start ("write /proc/self/oom_score_adj: permission denied").
 */
export interface HostLimits {
  /** The lowest oom_score_adj a container may be given: -1000 with CAP_SYS_RESOURCE, else our own value. */
  readonly minOomScoreAdj: number;
  /** Effective capabilities (CapEff) as a bit set. */
  readonly effectiveCapabilities: bigint;
  /** The capability bounding set (CapBnd): no process we start can ever hold more. */
  readonly boundingCapabilities: bigint;
  /** Names of the capabilities in the bounding set, e.g. "CAP_CHOWN". */
  readonly boundingCapabilityNames: readonly string[];
}

/** Clamps a wanted oom_score_adj into what the host allows. */
export function clampOomScoreAdj(wanted: number, limits: Pick<HostLimits, "minOomScoreAdj">): number {
  return Math.min(1000, Math.max(wanted, limits.minOomScoreAdj));
}

/** True when the bit set holds the capability (name with or without the "CAP_" prefix). */
export function hasCapability(set: bigint, name: string): boolean {
  const full = name.toUpperCase().startsWith("CAP_") ? name.toUpperCase() : `CAP_${name.toUpperCase()}`;
  const bit = capabilityNames.indexOf(full);
  return bit >= 0 && ((set >> BigInt(bit)) & 1n) === 1n;
}

/** Parses /proc/<pid>/status and oom_score_adj text into HostLimits. */
export function parseHostLimits(statusText: string, oomScoreAdjText: string): HostLimits {
  const effective = capField(statusText, "CapEff");
  const bounding = capField(statusText, "CapBnd");
  const own = Number.parseInt(oomScoreAdjText.trim(), 10);
  const ownOom = Number.isInteger(own) ? own : 0;
  const canLower = ((effective >> capSysResource) & 1n) === 1n;
  return Object.freeze({
    minOomScoreAdj: canLower ? oomScoreAdjMin : ownOom,
    effectiveCapabilities: effective,
    boundingCapabilities: bounding,
    boundingCapabilityNames: Object.freeze(capabilityNames.filter((_, bit) => ((bounding >> BigInt(bit)) & 1n) === 1n)),
  });
}

/** Reads the limits of this process; `procSelf` is for tests. */
export async function readHostLimits(procSelf = "/proc/self"): Promise<HostLimits> {
  const [status, oom] = await Promise.all([readFile(join(procSelf, "status"), "utf8"), readFile(join(procSelf, "oom_score_adj"), "utf8")]);
  return parseHostLimits(status, oom);
}

/** A `CapXxx:\t000001ffffffffff` line as a bit set; absent (not Linux) reads as empty. */
function capField(statusText: string, field: string): bigint {
  const m = new RegExp(`^${field}:\\s*([0-9a-fA-F]+)\\s*$`, "m").exec(statusText);
  return m?.[1] === undefined ? 0n : BigInt(`0x${m[1]}`);
}
