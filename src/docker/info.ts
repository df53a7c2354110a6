import { JsonObjectReader } from "./parse.js";

/** The parts of `GET /info` the shim uses: cgroup setup, storage, logging and runtimes. */
export interface DockerInfo {
  /** "cgroupfs" or "systemd"; Docker reports "" for its default, which is cgroupfs. */
  readonly cgroupDriver: string;
  /** "1" or "2"; "" on daemons older than API 1.40, which only ran on cgroup v1. */
  readonly cgroupVersion: string;
  readonly dockerRootDir: string;
  /** The default log driver; the kubelet can only read container logs with "json-file". */
  readonly loggingDriver: string;
  readonly serverVersion: string;
  /** E.g. "name=seccomp,profile=builtin", "name=apparmor", "name=cgroupns". */
  readonly securityOptions: string[];
  /** Names of the configured OCI runtimes (keys of `Runtimes`). */
  readonly runtimes: string[];
  readonly defaultRuntime: string;
  /** The storage driver, e.g. "overlay2"; "overlayfs" (a containerd snapshotter) with the containerd image store. */
  readonly storageDriver: string;
  /**
   * `DriverStatus` pairs. With the containerd image store it holds ["driver-type",
   * "io.containerd.snapshotter.v1"]; the classic graph drivers report their own details.
   */
  readonly driverStatus: readonly (readonly [string, string])[];
  /** Where the daemon reads CDI specs (`CDISpecDirs`, API 1.44+); empty when CDI is off or the daemon is older. */
  readonly cdiSpecDirs: string[];
  /** The fully-qualified names of the CDI devices the daemon found in those specs (`DiscoveredDevices`, API 1.50+). */
  readonly cdiDevices: string[];
  readonly operatingSystem: string;
  readonly osType: string;
  readonly architecture: string;
  readonly kernelVersion: string;
  readonly ncpu: number;
  readonly memTotal: number;
  /** The daemon host's name. */
  readonly name: string;
  readonly id: string;
  readonly warnings: string[];
}

export function parseInfo(body: unknown): DockerInfo {
  const r = JsonObjectReader.of(body, 'Docker "info" response');
  const driver = r.optString("CgroupDriver");
  return {
    cgroupDriver: driver === "" ? "cgroupfs" : driver,
    cgroupVersion: r.optString("CgroupVersion"),
    dockerRootDir: r.string("DockerRootDir"),
    loggingDriver: r.optString("LoggingDriver"),
    serverVersion: r.optString("ServerVersion"),
    securityOptions: r.optStringArray("SecurityOptions"),
    runtimes: r.optObject("Runtimes")?.keys().sort() ?? [],
    defaultRuntime: r.optString("DefaultRuntime"),
    storageDriver: r.optString("Driver"),
    driverStatus: parsePairs(r.optRaw("DriverStatus")),
    cdiSpecDirs: r.optStringArray("CDISpecDirs"),
    cdiDevices: r.optObjectArray("DiscoveredDevices").filter((d) => d.optString("Source") === "cdi").map((d) => d.optString("ID")).filter((id) => id !== ""),
    operatingSystem: r.optString("OperatingSystem"),
    osType: r.optString("OSType"),
    architecture: r.optString("Architecture"),
    kernelVersion: r.optString("KernelVersion"),
    ncpu: r.optNumber("NCPU"),
    memTotal: r.optNumber("MemTotal"),
    name: r.optString("Name"),
    id: r.optString("ID"),
    warnings: r.optStringArray("Warnings"),
  };
}

/** `[[key, value], …]`; entries that are not two strings are skipped (the field is informational). */
function parsePairs(raw: unknown): (readonly [string, string])[] {
  if (!Array.isArray(raw)) return [];
  const out: (readonly [string, string])[] = [];
  for (const entry of raw as unknown[]) {
    if (Array.isArray(entry) && entry.length === 2 && typeof entry[0] === "string" && typeof entry[1] === "string") out.push([entry[0], entry[1]]);
  }
  return out;
}
