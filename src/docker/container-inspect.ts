import { JsonObjectReader } from "./parse.js";

/** `State` of an inspected container. Times are Docker's RFC 3339 strings ("0001-01-01T00:00:00Z" = never). */
export interface ContainerState {
  /** "created", "running", "paused", "restarting", "removing", "exited" or "dead". */
  readonly status: string;
  readonly running: boolean;
  readonly paused: boolean;
  readonly restarting: boolean;
  readonly oomKilled: boolean;
  readonly dead: boolean;
  /** 0 when the container is not running. */
  readonly pid: number;
  readonly exitCode: number;
  readonly error: string;
  readonly startedAt: string;
  readonly finishedAt: string;
}

export interface ContainerConfig {
  readonly hostname: string;
  readonly domainname: string;
  readonly user: string;
  /** The image reference the container was created from, as given. */
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly env: readonly string[];
  readonly cmd: readonly string[];
  readonly entrypoint: readonly string[];
  readonly workingDir: string;
  readonly tty: boolean;
  readonly openStdin: boolean;
  readonly stdinOnce: boolean;
  /** "SIGTERM", "15", … or "" for the image's (or Docker's) default. */
  readonly stopSignal: string;
}

export interface DeviceMapping {
  readonly pathOnHost: string;
  readonly pathInContainer: string;
  readonly cgroupPermissions: string;
}

export interface PortBinding {
  readonly hostIp: string;
  readonly hostPort: string;
}

export interface ContainerHostConfig {
  /** "default", "bridge", "host", "none", "container:<id>" or a network name. */
  readonly networkMode: string;
  /** "", "private", "shareable", "host", "container:<id>", "none". */
  readonly ipcMode: string;
  /** "", "host" or "container:<id>". */
  readonly pidMode: string;
  readonly utsMode: string;
  /** The OCI runtime ("runc" when none was asked for). */
  readonly runtime: string;
  readonly cgroupParent: string;
  readonly privileged: boolean;
  readonly readonlyRootfs: boolean;
  readonly securityOpt: readonly string[];
  readonly sysctls: Readonly<Record<string, string>>;
  readonly oomScoreAdj: number;
  readonly groupAdd: readonly string[];
  readonly capAdd: readonly string[];
  readonly capDrop: readonly string[];
  readonly binds: readonly string[];
  /** Keys like "80/tcp". */
  readonly portBindings: Readonly<Record<string, readonly PortBinding[]>>;
  readonly cpuShares: number;
  readonly cpuQuota: number;
  readonly cpuPeriod: number;
  readonly cpusetCpus: string;
  readonly cpusetMems: string;
  readonly memory: number;
  readonly memorySwap: number;
  readonly shmSize: number;
  readonly devices: readonly DeviceMapping[];
  /** Undefined when Docker applies its defaults (the field is null), empty when nothing is masked. */
  readonly maskedPaths: readonly string[] | undefined;
  readonly readonlyPaths: readonly string[] | undefined;
  /**
   * The structured mounts the container was created with (`HostConfig.Mounts`); always there from an
   * inspect, left out of a partial one built from a container summary.
   */
  readonly mounts?: readonly HostConfigMount[];
}

/** One of `HostConfig.Mounts`, with what the top-level `Mounts` does not say. */
export interface HostConfigMount {
  readonly type: string;
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  /** `BindOptions.ReadOnlyForceRecursive` (API 1.44+). */
  readonly readOnlyForceRecursive: boolean;
  /** `ImageOptions.Subpath` of an image mount. */
  readonly imageSubpath: string;
}

/** One network's endpoint (`NetworkSettings.Networks.<name>`), the only place API 1.52+ reports addresses. */
export interface EndpointSettings {
  readonly ipAddress: string;
  readonly ipPrefixLen: number;
  readonly gateway: string;
  readonly globalIPv6Address: string;
  readonly macAddress: string;
}

/**
 * Deliberately without the top-level endpoint fields (`IPAddress`, `Gateway`, `MacAddress`,
 * `GlobalIPv6Address`, `IPPrefixLen`, `Bridge`, `HairpinMode`, `LinkLocalIPv6*`, `Secondary*`,
 * `EndpointID`, `IPv6Gateway`): deprecated since API 1.21 and gone from API 1.52 (Docker 29), they
 * only ever repeated the default network's endpoint, which `networks` has on every version.
 */
export interface NetworkSettings {
  /** By network name ("bridge", …). */
  readonly networks: Readonly<Record<string, EndpointSettings>>;
  /** Published ports by container port ("80/tcp"); null bindings (exposed only) read as empty. */
  readonly ports: Readonly<Record<string, readonly PortBinding[]>>;
  readonly sandboxKey: string;
}

export interface ContainerMount {
  readonly type: string;
  readonly source: string;
  readonly destination: string;
  readonly rw: boolean;
  readonly propagation: string;
  /** Bind options as given ("ro,Z", "z", …). */
  readonly mode: string;
  /** A volume's name; for an image mount, the image as it was given. */
  readonly name: string;
}

/** `GET /containers/{id}/json`, narrowed to what sandboxes and containers need. */
export interface ContainerInspect {
  readonly id: string;
  /** With Docker's leading "/". */
  readonly name: string;
  /** RFC 3339 with nanoseconds. */
  readonly created: string;
  /** The image id ("sha256:…"). */
  readonly imageId: string;
  readonly restartCount: number;
  readonly state: ContainerState;
  readonly config: ContainerConfig;
  readonly hostConfig: ContainerHostConfig;
  readonly networkSettings: NetworkSettings;
  readonly logPath: string;
  readonly resolvConfPath: string;
  readonly hostsPath: string;
  readonly hostnamePath: string;
  readonly mounts: readonly ContainerMount[];
}

const context = 'Docker "inspect_container" response';

export function parseContainerInspect(body: unknown): ContainerInspect {
  const r = JsonObjectReader.of(body, context);
  const state = r.optObject("State");
  const config = r.optObject("Config");
  const host = r.optObject("HostConfig");
  const net = r.optObject("NetworkSettings");
  return {
    id: r.string("Id"),
    name: r.optString("Name"),
    created: r.optString("Created"),
    imageId: r.optString("Image"),
    restartCount: r.optNumber("RestartCount"),
    state: {
      status: state?.optString("Status") ?? "",
      running: state?.optBoolean("Running") ?? false,
      paused: state?.optBoolean("Paused") ?? false,
      restarting: state?.optBoolean("Restarting") ?? false,
      oomKilled: state?.optBoolean("OOMKilled") ?? false,
      dead: state?.optBoolean("Dead") ?? false,
      pid: state?.optNumber("Pid") ?? 0,
      exitCode: state?.optNumber("ExitCode") ?? 0,
      error: state?.optString("Error") ?? "",
      startedAt: state?.optString("StartedAt") ?? "",
      finishedAt: state?.optString("FinishedAt") ?? "",
    },
    config: {
      hostname: config?.optString("Hostname") ?? "",
      domainname: config?.optString("Domainname") ?? "",
      user: config?.optString("User") ?? "",
      image: config?.optString("Image") ?? "",
      labels: config?.optStringMap("Labels") ?? {},
      env: config?.optStringArray("Env") ?? [],
      cmd: config?.optStringArray("Cmd") ?? [],
      entrypoint: config?.optStringArray("Entrypoint") ?? [],
      workingDir: config?.optString("WorkingDir") ?? "",
      tty: config?.optBoolean("Tty") ?? false,
      openStdin: config?.optBoolean("OpenStdin") ?? false,
      stdinOnce: config?.optBoolean("StdinOnce") ?? false,
      stopSignal: config?.optString("StopSignal") ?? "",
    },
    hostConfig: {
      networkMode: host?.optString("NetworkMode") ?? "",
      ipcMode: host?.optString("IpcMode") ?? "",
      pidMode: host?.optString("PidMode") ?? "",
      utsMode: host?.optString("UTSMode") ?? "",
      runtime: host?.optString("Runtime") ?? "",
      cgroupParent: host?.optString("CgroupParent") ?? "",
      privileged: host?.optBoolean("Privileged") ?? false,
      readonlyRootfs: host?.optBoolean("ReadonlyRootfs") ?? false,
      securityOpt: host?.optStringArray("SecurityOpt") ?? [],
      sysctls: host?.optStringMap("Sysctls") ?? {},
      oomScoreAdj: host?.optNumber("OomScoreAdj") ?? 0,
      groupAdd: host?.optStringArray("GroupAdd") ?? [],
      capAdd: host?.optStringArray("CapAdd") ?? [],
      capDrop: host?.optStringArray("CapDrop") ?? [],
      binds: host?.optStringArray("Binds") ?? [],
      portBindings: host === undefined ? {} : portMap(host, "PortBindings"),
      cpuShares: host?.optNumber("CpuShares") ?? 0,
      cpuQuota: host?.optNumber("CpuQuota") ?? 0,
      cpuPeriod: host?.optNumber("CpuPeriod") ?? 0,
      cpusetCpus: host?.optString("CpusetCpus") ?? "",
      cpusetMems: host?.optString("CpusetMems") ?? "",
      memory: host?.optNumber("Memory") ?? 0,
      memorySwap: host?.optNumber("MemorySwap") ?? 0,
      shmSize: host?.optNumber("ShmSize") ?? 0,
      devices: (host?.optObjectArray("Devices") ?? []).map((d) => ({
        pathOnHost: d.optString("PathOnHost"),
        pathInContainer: d.optString("PathInContainer"),
        cgroupPermissions: d.optString("CgroupPermissions"),
      })),
      maskedPaths: host?.has("MaskedPaths") === true ? host.optStringArray("MaskedPaths") : undefined,
      readonlyPaths: host?.has("ReadonlyPaths") === true ? host.optStringArray("ReadonlyPaths") : undefined,
      mounts: (host?.optObjectArray("Mounts") ?? []).map((m) => ({
        type: m.optString("Type"),
        source: m.optString("Source"),
        target: m.optString("Target"),
        readOnly: m.optBoolean("ReadOnly"),
        readOnlyForceRecursive: m.optObject("BindOptions")?.optBoolean("ReadOnlyForceRecursive") ?? false,
        imageSubpath: m.optObject("ImageOptions")?.optString("Subpath") ?? "",
      })),
    },
    networkSettings: {
      networks: net === undefined ? {} : networks(net),
      ports: net === undefined ? {} : portMap(net, "Ports"),
      sandboxKey: net?.optString("SandboxKey") ?? "",
    },
    logPath: r.optString("LogPath"),
    resolvConfPath: r.optString("ResolvConfPath"),
    hostsPath: r.optString("HostsPath"),
    hostnamePath: r.optString("HostnamePath"),
    mounts: r.optObjectArray("Mounts").map((m) => ({
      type: m.optString("Type"),
      source: m.optString("Source"),
      destination: m.optString("Destination"),
      rw: m.optBoolean("RW"),
      propagation: m.optString("Propagation"),
      mode: m.optString("Mode"),
      name: m.optString("Name"),
    })),
  };
}

function portMap(r: JsonObjectReader, field: string): Record<string, PortBinding[]> {
  const inner = r.optObject(field);
  const out: Record<string, PortBinding[]> = {};
  if (inner === undefined) return out;
  for (const port of inner.keys()) {
    out[port] = inner.optObjectArray(port).map((b) => ({ hostIp: b.optString("HostIp"), hostPort: b.optString("HostPort") }));
  }
  return out;
}

function networks(net: JsonObjectReader): Record<string, EndpointSettings> {
  const inner = net.optObject("Networks");
  const out: Record<string, EndpointSettings> = {};
  if (inner === undefined) return out;
  for (const name of inner.keys()) {
    const n = inner.optObject(name);
    if (n === undefined) continue;
    out[name] = {
      ipAddress: n.optString("IPAddress"),
      ipPrefixLen: n.optNumber("IPPrefixLen"),
      gateway: n.optString("Gateway"),
      globalIPv6Address: n.optString("GlobalIPv6Address"),
      macAddress: n.optString("MacAddress"),
    };
  }
  return out;
}
