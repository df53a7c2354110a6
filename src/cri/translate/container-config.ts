import { CriError } from "../../errors/index.js";
import { NamespaceMode, type ContainerConfig, type NamespaceOption } from "../../gen/index.js";
import type { CapabilityEnvironment } from "./capabilities.js";
import { cdiDeviceRequests, type CdiEngine } from "./cdi-devices.js";
import { containerDevices, containerMounts, type MountEngine } from "./container-mounts.js";
import { dockerOomScoreAdj, dockerResources } from "./container-resources.js";
import { containerSecurity, type PrivilegedMode } from "./container-security.js";
import { containerLogPathLabel, containerTypeContainer, containerTypeLabel, extractLabels, makeLabels, privilegedModeLabel, sandboxIdLabel } from "./labels.js";
import { dockerStopSignal } from "./stop-signal.js";

/** dockershim's /dev/shm size for every container it created (Docker's default, made explicit). */
export const defaultShmSizeBytes = 64 * 1024 * 1024;

/**
 * docker-cri's own label: the image as the user wrote it (ImageSpec.user_specified_image), which
 * ContainerStatus gives back; Docker only keeps the reference the container was created from.
 */
export const userSpecifiedImageLabel = "io.kubernetes.docker-cri.user-specified-image";

/** An app container's Docker labels as CRI labels and annotations, without the shim's own. */
export function containerCriLabels(dockerLabels: Readonly<Record<string, string>>): { labels: Record<string, string>; annotations: Record<string, string> } {
  const { labels, annotations } = extractLabels(dockerLabels);
  return { labels: Object.fromEntries(Object.entries(labels).filter(([k]) => k !== userSpecifiedImageLabel)), annotations };
}

export interface ContainerDockerConfigInput {
  /** A validated config (metadata and image present). */
  readonly config: ContainerConfig;
  /** The full id of the sandbox whose namespaces the container joins. */
  readonly sandboxId: string;
  /** The sandbox's Docker runtime (the pod's runtime handler): a pod's containers all use it. */
  readonly sandboxRuntime: string;
  /** In the form Docker's cgroup driver wants (expectedCgroupParent). */
  readonly cgroupParent: string;
  /** The kubelet's log path (log_directory joined with log_path), or "" when it gave none. */
  readonly logPath: string;
  readonly minOomScoreAdj: number;
  readonly capabilities: CapabilityEnvironment;
  readonly apparmorEnabled: boolean;
  /** What the engine can do (mount kinds, CDI), for what is sent and for the refusals' messages. */
  readonly engine: MountEngine & CdiEngine;
  readonly hostDevices: () => Promise<readonly string[]>;
  readonly readProfile?: (path: string) => Promise<string>;
}

export interface ContainerDockerConfig {
  /** The body of `POST /containers/create`. */
  readonly body: Record<string, unknown>;
  readonly privilegedMode: PrivilegedMode;
  /** Where Docker will do something other than what was asked (see containerMounts), for the log. */
  readonly notes: readonly string[];
}

/**
 * The body of `POST /containers/create` for an app container, as dockershim built it: command and
 * args become Entrypoint and Cmd (either left out keeps the image's, and Docker drops the image's
 * Cmd once an Entrypoint is given, which is Kubernetes' rule too); the container joins the sandbox's
 * network and IPC namespaces and, per its namespace options, its PID namespace; Docker's health
 * check is off and its restart policy "no", because the kubelet owns both.
 */
export async function containerDockerConfig(input: ContainerDockerConfigInput): Promise<ContainerDockerConfig> {
  const { config } = input;
  const linux = config.linux;
  const sc = linux?.securityContext;
  const deviceRequests = cdiDeviceRequests(config.CDIDevices, input.engine);

  const labels = makeLabels(config.labels, config.annotations);
  labels[containerTypeLabel] = containerTypeContainer;
  labels[sandboxIdLabel] = input.sandboxId;
  if (input.logPath !== "") labels[containerLogPathLabel] = input.logPath;
  const userImage = config.image?.userSpecifiedImage ?? "";
  if (userImage !== "") labels[userSpecifiedImageLabel] = userImage;

  const env = config.envs.map((kv) => {
    if (kv.key === "" || kv.key.includes("=") || kv.key.includes("\0")) throw new CriError("InvalidArgument", `Invalid environment variable name "${kv.key}"`);
    return `${kv.key}=${Buffer.from(kv.value).toString("utf8")}`;
  });

  const security = await containerSecurity({
    sc,
    capabilities: input.capabilities,
    apparmorEnabled: input.apparmorEnabled,
    hostDevices: input.hostDevices,
    ...(input.readProfile === undefined ? {} : { readProfile: input.readProfile }),
  });
  if (security.privilegedMode === "host-capabilities") labels[privilegedModeLabel] = security.privilegedMode;
  const mounts = containerMounts(config.mounts, input.engine);
  const userDevices = containerDevices(config.devices);
  const userDevicePaths = new Set(userDevices.map((d) => d.PathInContainer));

  const hostConfig: Record<string, unknown> = {
    ...security.hostConfig,
    ...namespaceModes(sc?.namespaceOptions, input.sandboxId),
    Binds: [...mounts.binds, ...security.binds],
    ...(mounts.mounts.length > 0 ? { Mounts: mounts.mounts } : {}),
    // The container's own devices win over a privileged container's copy of the same host node.
    Devices: [...security.devices.filter((d) => !userDevicePaths.has(d.PathInContainer ?? "")), ...userDevices],
    ...(deviceRequests.length > 0 ? { DeviceRequests: deviceRequests } : {}),
    ...dockerResources(linux?.resources),
    OomScoreAdj: dockerOomScoreAdj(linux?.resources, input.minOomScoreAdj),
    CgroupParent: input.cgroupParent,
    ShmSize: defaultShmSizeBytes,
    RestartPolicy: { Name: "no" },
  };
  if (input.sandboxRuntime !== "") hostConfig.Runtime = input.sandboxRuntime;

  const stopSignal = dockerStopSignal(config.stopSignal);
  const body: Record<string, unknown> = {
    Image: config.image?.image ?? "",
    Labels: labels,
    Env: env,
    WorkingDir: config.workingDir,
    OpenStdin: config.stdin,
    StdinOnce: config.stdinOnce,
    Tty: config.tty,
    Healthcheck: { Test: ["NONE"] },
    HostConfig: hostConfig,
  };
  if (config.command.length > 0) body.Entrypoint = [...config.command];
  if (config.args.length > 0) body.Cmd = [...config.args];
  if (security.user !== "") body.User = security.user;
  if (stopSignal !== "") body.StopSignal = stopSignal;
  return { body, privilegedMode: security.privilegedMode, notes: mounts.notes };
}

/**
 * Namespaces: network and IPC are always the sandbox's (`container:<id>`; host IPC when the pod
 * asks for it). PID follows the option: POD is the sandbox's, CONTAINER the container's own, NODE
 * the host's, TARGET another container's. A host-network pod's containers get the host's UTS
 * namespace too, so their hostname is the node's. Pod user namespaces have no Docker equivalent.
 */
function namespaceModes(ns: NamespaceOption | undefined, sandboxId: string): Record<string, string> {
  const sandbox = `container:${sandboxId}`;
  const out: Record<string, string> = { NetworkMode: sandbox, IpcMode: ns?.ipc === NamespaceMode.NODE ? "host" : sandbox };
  // Unset is POD, protobuf's zero value, as cri-dockerd and containerd read it.
  switch (ns?.pid ?? NamespaceMode.POD) {
    case NamespaceMode.POD:
      out.PidMode = sandbox;
      break;
    case NamespaceMode.NODE:
      out.PidMode = "host";
      break;
    case NamespaceMode.TARGET: {
      const target = ns?.targetId ?? "";
      if (!/^[0-9a-f]{12,64}$/.test(target)) throw new CriError("InvalidArgument", `Invalid namespace options: PID mode TARGET needs the target container's id, got "${target}"`);
      out.PidMode = `container:${target}`;
      break;
    }
    case NamespaceMode.CONTAINER:
      break;
    default:
      throw new CriError("InvalidArgument", `Invalid namespace options: unknown PID mode ${String(ns?.pid)}`);
  }
  if (ns?.network === NamespaceMode.NODE) out.UTSMode = "host";
  const userns = ns?.usernsOptions;
  if (userns !== undefined && userns.mode !== NamespaceMode.NODE) {
    throw new CriError("InvalidArgument", "Invalid namespace options: Docker cannot give a pod its own user namespace; only the host's (NODE) is supported");
  }
  return out;
}
