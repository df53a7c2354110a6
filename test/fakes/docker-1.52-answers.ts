/**
 * Docker Engine API 1.52 (Docker 29) answers, shaped as moby's api/swagger.yaml at 1.52 and its
 * CHANGELOG describe them, for fake-engine tests: container inspect and list without the top-level
 * `NetworkSettings` endpoint fields (addresses only under `Networks.<name>`), events without the
 * legacy `status`, `id` and `from`, image inspect without unset `Config` fields.
 */

/** Top-level `NetworkSettings` fields API 1.52 no longer returns (CHANGELOG, v1.52). */
export const removedNetworkSettingsFields = [
  "Bridge", "HairpinMode", "LinkLocalIPv6Address", "LinkLocalIPv6PrefixLen", "SecondaryIPAddresses", "SecondaryIPv6Addresses",
  "EndpointID", "Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPAddress", "IPPrefixLen", "IPv6Gateway", "MacAddress",
] as const;

/** Top-level event fields API 1.52 no longer returns. */
export const removedEventFields = ["status", "id", "from"] as const;

export interface BridgeEndpoint {
  readonly ipAddress: string;
  readonly gateway: string;
  readonly macAddress: string;
}

export interface ContainerShape {
  readonly id: string;
  /** With the leading "/". */
  readonly name: string;
  readonly image: string;
  readonly imageId: string;
  readonly labels: Readonly<Record<string, string>>;
  /** "created", "running", "exited". */
  readonly status: "created" | "running" | "exited";
  readonly pid: number;
  readonly exitCode: number;
  readonly created: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** "bridge" for a sandbox on Docker's network, "container:<id>" for an app container. */
  readonly networkMode: string;
  /** The bridge endpoint, for a container on Docker's bridge network. */
  readonly bridge?: BridgeEndpoint;
}

const never = "0001-01-01T00:00:00Z";

function networks(c: ContainerShape): Record<string, unknown> {
  if (c.bridge === undefined) return {};
  return {
    bridge: {
      IPAMConfig: null,
      Links: null,
      Aliases: null,
      DriverOpts: null,
      GwPriority: 0,
      NetworkID: "7b0d2d3f0c1e".padEnd(64, "0"),
      EndpointID: "e1e2e3e4".padEnd(64, "0"),
      Gateway: c.bridge.gateway,
      IPAddress: c.bridge.ipAddress,
      IPPrefixLen: 16,
      IPv6Gateway: "",
      GlobalIPv6Address: "",
      GlobalIPv6PrefixLen: 0,
      MacAddress: c.bridge.macAddress,
      DNSNames: null,
    },
  };
}

/** `GET /containers/{id}/json` at API 1.52. */
export function containerInspect152(c: ContainerShape): Record<string, unknown> {
  const running = c.status === "running";
  return {
    Id: c.id,
    Created: c.created,
    Path: "/bin/sh",
    Args: [],
    State: {
      Status: c.status,
      Running: running,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: running ? c.pid : 0,
      ExitCode: c.exitCode,
      Error: "",
      StartedAt: c.startedAt,
      FinishedAt: c.finishedAt,
    },
    Image: c.imageId,
    ResolvConfPath: `/var/lib/docker/containers/${c.id}/resolv.conf`,
    HostnamePath: `/var/lib/docker/containers/${c.id}/hostname`,
    HostsPath: `/var/lib/docker/containers/${c.id}/hosts`,
    LogPath: `/var/lib/docker/containers/${c.id}/${c.id}-json.log`,
    Name: c.name,
    RestartCount: 0,
    Driver: "overlayfs",
    Platform: "linux",
    ImageManifestDescriptor: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${"d".repeat(64)}`, size: 1234 },
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: null,
    HostConfig: {
      NetworkMode: c.networkMode,
      IpcMode: c.networkMode.startsWith("container:") ? c.networkMode : "shareable",
      PidMode: "",
      UTSMode: "",
      Runtime: "runc",
      CgroupParent: "",
      Privileged: false,
      ReadonlyRootfs: false,
      SecurityOpt: ["no-new-privileges"],
      OomScoreAdj: 0,
      CpuShares: 2,
      CpuPeriod: 0,
      CpuQuota: 0,
      CpusetCpus: "",
      CpusetMems: "",
      Memory: 0,
      MemorySwap: 0,
      ShmSize: 67108864,
      PortBindings: {},
      Devices: [],
      MaskedPaths: ["/proc/kcore"],
      ReadonlyPaths: ["/proc/sys"],
    },
    Mounts: [],
    Config: {
      Hostname: "web",
      Domainname: "",
      User: "",
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Cmd: ["sh"],
      Image: c.image,
      Volumes: null,
      WorkingDir: "",
      Entrypoint: null,
      Labels: c.labels,
    },
    NetworkSettings: {
      SandboxID: "5a".padEnd(64, "0"),
      SandboxKey: c.bridge === undefined ? "" : "/var/run/docker/netns/5a00000000",
      Ports: {},
      Networks: networks(c),
    },
  };
}

/** One entry of `GET /containers/json` at API 1.52. */
export function containerSummary152(c: ContainerShape): Record<string, unknown> {
  return {
    Id: c.id,
    Names: [c.name],
    Image: c.image,
    ImageID: c.imageId,
    ImageManifestDescriptor: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${"d".repeat(64)}`, size: 1234 },
    Command: "sh",
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: [],
    Labels: c.labels,
    State: c.status,
    Status: c.status === "running" ? "Up 2 seconds" : c.status === "exited" ? `Exited (${c.exitCode}) 1 second ago` : "Created",
    HostConfig: { NetworkMode: c.networkMode },
    NetworkSettings: { Networks: networks(c) },
    Mounts: [],
  };
}

/** A container event of `GET /events` at API 1.52: `Action` and `Actor` only. */
export function containerEvent152(action: string, c: ContainerShape, timeNano: bigint): Record<string, unknown> {
  return {
    Type: "container",
    Action: action,
    Actor: { ID: c.id, Attributes: { ...c.labels, image: c.image, name: c.name.replace(/^\//, "") } },
    scope: "local",
    time: Number(timeNano / 1_000_000_000n),
    timeNano: Number(timeNano),
  };
}

/** `GET /images/{name}/json` at API 1.52: unset `Config` fields and empty `Author`/`Comment`/`Parent` omitted. */
export function imageInspect152(id: string, repoTag: string, repoDigest: string): Record<string, unknown> {
  return {
    Id: id,
    RepoTags: [repoTag],
    RepoDigests: [repoDigest],
    Created: "2024-09-26T21:31:42Z",
    Config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] },
    Architecture: "amd64",
    Os: "linux",
    Size: 4_270_000,
    RootFS: { Type: "layers", Layers: [`sha256:${"e".repeat(64)}`] },
    Metadata: { LastTagTime: never },
    Descriptor: { mediaType: "application/vnd.oci.image.index.v1+json", digest: repoDigest.slice(repoDigest.indexOf("@") + 1), size: 9000 },
  };
}
