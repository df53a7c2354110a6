import { CriError } from "../../errors/index.js";
import { SecurityProfile_ProfileType, SupplementalGroupsPolicy, type LinuxContainerSecurityContext, type SecurityProfile } from "../../gen/index.js";
import { capabilityChanges, type CapabilityEnvironment } from "./capabilities.js";
import { dockerUser, seccompSecurityOpts, selinuxSecurityOpts } from "./security-opts.js";

/**
 * How a container runs privileged:
 * - "docker": Docker's own `Privileged` (the host's bounding set is full);
 * - "host-capabilities": the host lacks some capability, so Docker's privileged mode would fail at
 *   start; every other part of it is spelled out instead (see containerSecurity);
 * - "none": not privileged.
 */
export type PrivilegedMode = "none" | "docker" | "host-capabilities";

export interface ContainerSecurityInput {
  readonly sc: LinuxContainerSecurityContext | undefined;
  readonly capabilities: CapabilityEnvironment;
  /** AppArmor enabled in the kernel: a named (localhost) profile can only be loaded then. */
  readonly apparmorEnabled: boolean;
  /** Device nodes under the host's /dev, read only for a "host-capabilities" privileged container. */
  readonly hostDevices: () => Promise<readonly string[]>;
  /** Reads a localhost seccomp profile; tests replace it. */
  readonly readProfile?: (path: string) => Promise<string>;
}

export interface ContainerSecurity {
  /** Docker's `User`: "uid", "name", "uid:gid" or "" for the image's. */
  readonly user: string;
  /** HostConfig fields: Privileged, CapAdd, CapDrop, GroupAdd, ReadonlyRootfs, SecurityOpt, MaskedPaths, … */
  readonly hostConfig: Record<string, unknown>;
  /** Binds this mode adds to the container's own (writable sysfs). */
  readonly binds: readonly string[];
  /** Host devices this mode adds (every one, for a "host-capabilities" privileged container). */
  readonly devices: readonly Record<string, string>[];
  readonly privilegedMode: PrivilegedMode;
}

/**
 * A container's security context as Docker settings.
 *
 * Privileged on a host whose capability bounding set is not full: Docker's `Privileged` (and
 * `CapAdd: ["ALL"]`) make runc request every capability the kernel knows and fail at start. The
 * container is then given what privileged means, one piece at a time: every capability the host has
 * (CapAdd), no seccomp filter, no AppArmor or SELinux confinement, every host device with a device
 * cgroup rule allowing all, nothing masked or read-only under /proc, and a writable /sys (the host's
 * sysfs bound read-write, since Docker mounts its own sysfs read-only unless privileged; for pods
 * with their own network namespace /sys/class/net therefore lists the host's interfaces).
 */
export async function containerSecurity(input: ContainerSecurityInput): Promise<ContainerSecurity> {
  const sc = input.sc;
  if (sc === undefined) return { user: "", hostConfig: { SecurityOpt: ["seccomp=unconfined"] }, binds: [], devices: [], privilegedMode: "none" };
  if (sc.runAsUser !== undefined && sc.runAsUsername !== "") {
    throw new CriError("InvalidArgument", "Invalid security context: run_as_user and run_as_username are both set");
  }
  if (sc.runAsUser !== undefined && sc.runAsUser.value < 0n) throw new CriError("InvalidArgument", `Invalid security context: run_as_user ${sc.runAsUser.value} is negative`);
  if (sc.runAsGroup !== undefined && sc.runAsGroup.value < 0n) throw new CriError("InvalidArgument", `Invalid security context: run_as_group ${sc.runAsGroup.value} is negative`);
  if (/[:\s]/.test(sc.runAsUsername)) throw new CriError("InvalidArgument", `Invalid security context: run_as_username "${sc.runAsUsername}" is not a user name`);
  for (const g of sc.supplementalGroups) {
    if (g < 0n || g > 2147483647n) throw new CriError("InvalidArgument", `Invalid security context: supplemental group ${g} is not between 0 and 2147483647`);
  }
  if (sc.supplementalGroupsPolicy === SupplementalGroupsPolicy.Strict) {
    throw new CriError("InvalidArgument", "Invalid security context: supplemental_groups_policy Strict is not supported: Docker always adds the groups the image's /etc/group gives the user");
  }
  if ((sc.capabilities?.addAmbientCapabilities.length ?? 0) > 0) {
    throw new CriError("InvalidArgument", "Invalid security context: Docker cannot add ambient capabilities");
  }
  const user = dockerUser(sc.runAsUser, sc.runAsGroup, sc.runAsUsername);
  const common: Record<string, unknown> = {
    GroupAdd: sc.supplementalGroups.map((g) => g.toString()),
    ReadonlyRootfs: sc.readonlyRootfs,
  };
  const noNewPrivs = sc.noNewPrivs ? ["no-new-privileges"] : [];

  if (sc.privileged && input.capabilities.full) {
    // Docker's privileged mode already drops seccomp, AppArmor, SELinux labels and masked paths.
    return { user, hostConfig: { ...common, Privileged: true, SecurityOpt: noNewPrivs }, binds: [], devices: [], privilegedMode: "docker" };
  }
  if (sc.privileged) {
    const devices = await input.hostDevices();
    return {
      user,
      hostConfig: {
        ...common,
        Privileged: false,
        CapAdd: [...input.capabilities.bounding],
        SecurityOpt: ["seccomp=unconfined", "apparmor=unconfined", "label=disable", ...noNewPrivs],
        // Empty lists (not absent ones) tell Docker to mask nothing and leave /proc writable.
        MaskedPaths: [],
        ReadonlyPaths: [],
        DeviceCgroupRules: ["a *:* rwm"],
      },
      binds: ["/sys:/sys:rw"],
      devices: devices.map((p) => ({ PathOnHost: p, PathInContainer: p, CgroupPermissions: "rwm" })),
      privilegedMode: "host-capabilities",
    };
  }

  const caps = capabilityChanges(sc.capabilities?.addCapabilities ?? [], sc.capabilities?.dropCapabilities ?? [], input.capabilities);
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- older kubelets send only the deprecated path; it is read when the profile is unset
  const legacySeccomp = sc.seccompProfilePath;
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the same for AppArmor's deprecated string
  const legacyAppArmor = sc.apparmorProfile;
  const securityOpt = [
    // The kubelet's default for app containers without a profile is Unconfined (dockershim's too).
    ...(await seccompSecurityOpts(sc.seccomp, legacySeccomp, "unconfined", input.readProfile)),
    ...apparmorSecurityOpts(sc.apparmor, legacyAppArmor, input.apparmorEnabled),
    ...selinuxSecurityOpts(sc.selinuxOptions),
    ...noNewPrivs,
  ];
  const hostConfig: Record<string, unknown> = { ...common, Privileged: false, CapAdd: caps.capAdd, CapDrop: caps.capDrop, SecurityOpt: securityOpt };
  // Empty lists mean "not specified" on the wire: Docker's defaults (the same paths) apply then.
  if (sc.maskedPaths.length > 0) hostConfig.MaskedPaths = [...sc.maskedPaths];
  if (sc.readonlyPaths.length > 0) hostConfig.ReadonlyPaths = [...sc.readonlyPaths];
  return { user, hostConfig, binds: [], devices: [], privilegedMode: "none" };
}

/**
 * AppArmor as Docker's "apparmor=<profile>" option, from the profile field or, when it is unset, the
 * deprecated string ("runtime/default", "unconfined", "localhost/<name>"). Runtime default is
 * Docker's own docker-default profile (no option). A named profile needs AppArmor in the kernel:
 * Docker would silently run the container unconfined otherwise, so that is refused.
 */
export function apparmorSecurityOpts(profile: SecurityProfile | undefined, legacy: string, enabled: boolean): string[] {
  let name: string | undefined;
  if (profile !== undefined) {
    switch (profile.profileType) {
      case SecurityProfile_ProfileType.RuntimeDefault:
        return [];
      case SecurityProfile_ProfileType.Unconfined:
        return ["apparmor=unconfined"];
      case SecurityProfile_ProfileType.Localhost:
        name = profile.localhostRef.replace(/^localhost\//, "");
        break;
      default:
        throw new CriError("InvalidArgument", `Unknown AppArmor profile type ${String(profile.profileType)}`);
    }
  } else if (legacy === "" || legacy === "runtime/default") {
    return [];
  } else if (legacy === "unconfined") {
    return ["apparmor=unconfined"];
  } else if (legacy.startsWith("localhost/")) {
    name = legacy.slice("localhost/".length);
  } else {
    throw new CriError("InvalidArgument", `Invalid AppArmor profile "${legacy}": expected runtime/default, unconfined or localhost/<profile name>`);
  }
  if (name === "" || /[\s,=]/.test(name)) throw new CriError("InvalidArgument", `Invalid AppArmor profile name "${name}"`);
  if (!enabled) throw new CriError("InvalidArgument", `Cannot apply AppArmor profile "${name}": AppArmor is not enabled on this host`);
  return [`apparmor=${name}`];
}
