import { NamespaceMode, type PodSandboxConfig } from "../../gen/index.js";
import {
  containerNameLabel,
  containerTypeLabel,
  containerTypeSandbox,
  dockerUser,
  expectedCgroupParent,
  makeLabels,
  makePortBindings,
  runtimeHandlerLabel,
  sandboxContainerName,
  seccompSecurityOpts,
  selinuxSecurityOpts,
  type CapabilityEnvironment,
} from "../translate/index.js";

/** dockershim's DefaultSHMSize for a pod's /dev/shm. */
export const defaultShmSizeBytes = 64 * 1024 * 1024;

/**
 * dockershim's sandbox defaults: a small CPU share (the pause container only holds namespaces) and
 * an OOM score that makes the sandbox one of the last things the kernel kills, since killing it
 * takes the whole pod's network with it. The score is clamped to what the host allows.
 */
const sandboxCpuShares = 2;
const sandboxOomScoreAdj = -998;

export interface SandboxDockerConfigInput {
  readonly config: PodSandboxConfig;
  readonly image: string;
  /** The CRI runtime handler as asked ("" for none) and the Docker runtime it resolved to. */
  readonly runtimeHandler: string;
  readonly dockerRuntime: string | undefined;
  /** The network plugin's mode for sandboxes that do not use the host's network. */
  readonly podNetworkMode: "default" | "none";
  readonly cgroupDriver: "cgroupfs" | "systemd";
  readonly minOomScoreAdj: number;
  /** The host's capabilities, for a privileged sandbox (see below). */
  readonly capabilities: Pick<CapabilityEnvironment, "full" | "bounding">;
  /** Reads a localhost seccomp profile; tests replace it. */
  readonly readProfile?: (path: string) => Promise<string>;
}

/**
 * The body of `POST /containers/create` for a pod's pause container. Everything that identifies the
 * pod is in the name (see naming.ts) and labels, so Docker alone can rebuild the pod after a restart.
 */
export async function sandboxDockerConfig(input: SandboxDockerConfigInput): Promise<Record<string, unknown>> {
  const { config } = input;
  const linux = config.linux;
  const sc = linux?.securityContext;
  const ns = sc?.namespaceOptions;
  const hostNetwork = ns?.network === NamespaceMode.NODE;

  const labels = makeLabels(config.labels, config.annotations);
  labels[containerTypeLabel] = containerTypeSandbox;
  // cAdvisor and dockershim's summary API recognise the infra container by this name.
  labels[containerNameLabel] = sandboxContainerName;
  if (input.runtimeHandler !== "") labels[runtimeHandlerLabel] = input.runtimeHandler;

  const { exposedPorts, portBindings } = makePortBindings(config.portMappings);

  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the kubelet of older releases still sends only the deprecated path; it is read when the profile is unset
  const legacySeccomp = sc?.seccompProfilePath ?? "";
  const securityOpt = [
    // The pause process never needs to gain privileges; dockershim always set this.
    "no-new-privileges",
    ...(await seccompSecurityOpts(sc?.seccomp, legacySeccomp, "runtime-default", input.readProfile)),
    ...selinuxSecurityOpts(sc?.selinuxOptions),
  ];

  const hostConfig: Record<string, unknown> = {
    NetworkMode: hostNetwork ? "host" : input.podNetworkMode,
    // "shareable" lets the pod's containers join the sandbox's IPC namespace with container:<id>.
    IpcMode: ns?.ipc === NamespaceMode.NODE ? "host" : "shareable",
    // App containers join this IPC namespace, so this /dev/shm is theirs: 64 MiB, as dockershim set it,
    // rather than whatever default the Docker daemon has.
    ...(ns?.ipc === NamespaceMode.NODE ? {} : { ShmSize: defaultShmSizeBytes }),
    // The sandbox's PID namespace is the one app containers share, so POD and CONTAINER mean the same here.
    ...(ns?.pid === NamespaceMode.NODE ? { PidMode: "host" } : {}),
    PortBindings: portBindings,
    Sysctls: { ...(linux?.sysctls ?? {}) },
    CgroupParent: expectedCgroupParent(input.cgroupDriver, linux?.cgroupParent ?? ""),
    CpuShares: sandboxCpuShares,
    OomScoreAdj: Math.max(sandboxOomScoreAdj, input.minOomScoreAdj),
    ...privilegedSandbox(sc?.privileged ?? false, input.capabilities, securityOpt),
    ReadonlyRootfs: sc?.readonlyRootfs ?? false,
    GroupAdd: (sc?.supplementalGroups ?? []).map((g) => g.toString()),
  };
  if (input.dockerRuntime !== undefined) hostConfig.Runtime = input.dockerRuntime;

  const user = dockerUser(sc?.runAsUser, sc?.runAsGroup);
  return {
    Hostname: config.hostname,
    Image: input.image,
    Labels: labels,
    ...(user === "" ? {} : { User: user }),
    ExposedPorts: exposedPorts,
    HostConfig: hostConfig,
  };
}

/**
 * A privileged pod (the kubelet marks the sandbox privileged when any of its containers is) gets a
 * privileged pause container, as dockershim made it. Where the host's capability bounding set is not
 * full, Docker's `Privileged` fails at start (runc asks for every capability), and with it the whole
 * pod: the pause container then gets the host's capabilities and no seccomp, AppArmor or SELinux
 * confinement instead. It needs neither devices nor a writable /sys (it only holds namespaces); the
 * privileged app containers get those themselves (container-security.ts).
 */
function privilegedSandbox(privileged: boolean, capabilities: Pick<CapabilityEnvironment, "full" | "bounding">, securityOpt: readonly string[]): Record<string, unknown> {
  if (!privileged) return { Privileged: false, SecurityOpt: securityOpt };
  if (capabilities.full) return { Privileged: true, SecurityOpt: securityOpt };
  return { Privileged: false, CapAdd: [...capabilities.bounding], SecurityOpt: ["no-new-privileges", "seccomp=unconfined", "apparmor=unconfined", "label=disable"] };
}
