import { isAbsolute, posix } from "node:path";
import type { EngineFeatures } from "../../docker/index.js";
import { FEATURE_API_VERSIONS, FEATURE_DOCKER_RELEASES } from "../../docker/index.js";
import { CriError } from "../../errors/index.js";
import { MountPropagation, type Device, type Mount } from "../../gen/index.js";

/** Docker's two ways of asking for mounts: the `Binds` strings and the structured `Mounts`. */
export interface DockerMountSpec {
  /** "host:container[:ro,Z,rshared]" */
  readonly binds: string[];
  /** Structured mounts, where a bind string cannot say it (read-only exactly as asked, image volumes). */
  readonly mounts: Record<string, unknown>[];
  /** What Docker will do differently from what was asked, in plain words, for the create call to log. */
  readonly notes: string[];
}

/** The engine facts the mount translation depends on. */
export type MountEngine = Pick<
  EngineFeatures,
  "dockerVersion" | "apiVersion" | "kernelVersion" | "bindReadOnlyOptions" | "recursiveReadOnly" | "imageVolumes" | "imageVolumeSubpath"
>;

/**
 * CRI mounts as Docker mounts. What is sent, per kind of mount:
 *
 * - read-write bind: a `Binds` string, as dockershim wrote it: "Z" for SELinux relabelling (a no-op
 *   on hosts without SELinux), "rslave"/"rshared" for host-to-container and bidirectional
 *   propagation (private is Docker's default). Docker creates a missing host directory.
 * - read-only bind, API < 1.44: a `Binds` string with "ro", which Docker makes read-only at its top
 *   only (non-recursive), as the CRI's `readonly` asks.
 * - read-only bind, API ≥ 1.44: Docker now makes a "ro" bind string recursively read-only where the
 *   kernel allows it, so it goes to `Mounts` with `BindOptions.ReadOnlyNonRecursive`, the propagation
 *   in `BindOptions.Propagation`, and `CreateMountpoint` so that a missing host directory is created
 *   as for a bind string (the kubelet relies on it). `Mounts` cannot relabel, so a read-only bind
 *   that asks for SELinux relabelling stays a bind string (relabelled, and recursive where the kernel
 *   allows it: the stricter of the two answers, said in a note).
 * - recursive read-only bind: `Mounts` with `BindOptions.ReadOnlyForceRecursive` (API 1.44 and
 *   Linux 5.12, mount_setattr(2)); refused elsewhere rather than weakened.
 * - image volume (`Mount.image`, the image the kubelet pulled, by PullImage's image_ref): `Mounts`
 *   of type "image" (API 1.48), read-only as the CRI defines it, `ImageOptions.Subpath` for
 *   `image_sub_path`; refused on older engines.
 *
 * What Docker cannot express at all (ID-mapped mounts, mount options) is refused.
 */
export function containerMounts(mounts: readonly Mount[], engine: MountEngine): DockerMountSpec {
  const out: DockerMountSpec = { binds: [], mounts: [], notes: [] };
  for (const m of mounts) {
    if ((m.image?.image ?? "") !== "" || m.imageSubPath !== "") imageMount(m, engine, out);
    else bindMount(m, engine, out);
  }
  return out;
}

function commonChecks(m: Mount, what: string): void {
  if (m.uidMappings.length > 0 || m.gidMappings.length > 0) throw new CriError("InvalidArgument", `${what}: Docker cannot ID-map a mount`);
  if (m.mountOptions.length > 0) throw new CriError("InvalidArgument", `${what}: Docker mounts take no mount options (${m.mountOptions.join(", ")})`);
  if (!isAbsolute(m.containerPath)) throw new CriError("InvalidArgument", `${what}: the container path must be absolute`);
}

function bindMount(m: Mount, engine: MountEngine, out: DockerMountSpec): void {
  const what = `Invalid mount of "${m.hostPath}" at "${m.containerPath}"`;
  commonChecks(m, what);
  if (!isAbsolute(m.hostPath)) throw new CriError("InvalidArgument", `${what}: the host path must be absolute`);
  // A bind string is colon-separated; a colon or comma inside a path would be read as options.
  if (/[:,]/.test(m.hostPath) || /[:,]/.test(m.containerPath)) throw new CriError("InvalidArgument", `${what}: Docker binds cannot have ":" or "," in a path`);
  const propagation = dockerPropagation(m.propagation, what);

  if (m.recursiveReadOnly) {
    if (!m.readonly || m.propagation !== MountPropagation.PROPAGATION_PRIVATE) {
      throw new CriError("InvalidArgument", `${what}: recursive read-only needs readonly set and private propagation`);
    }
    if (!engine.recursiveReadOnly) {
      throw new CriError(
        "InvalidArgument",
        `${what}: recursive read-only mounts need Docker API ${FEATURE_API_VERSIONS.bindReadOnlyOptions} (Docker ${FEATURE_DOCKER_RELEASES.bindReadOnlyOptions}) or newer and Linux 5.12 or newer; ` +
          `docker-cri speaks API ${engine.apiVersion} with Docker ${engine.dockerVersion || "(unknown)"} on kernel ${engine.kernelVersion || "(unknown)"}`,
      );
    }
    if (m.selinuxRelabel) throw new CriError("InvalidArgument", `${what}: Docker cannot relabel a recursive read-only mount`);
    out.mounts.push({ Type: "bind", Source: m.hostPath, Target: m.containerPath, ReadOnly: true, BindOptions: { ReadOnlyForceRecursive: true, CreateMountpoint: true } });
    return;
  }
  if (m.readonly && engine.bindReadOnlyOptions) {
    if (!m.selinuxRelabel) {
      const bindOptions: Record<string, unknown> = { ReadOnlyNonRecursive: true, CreateMountpoint: true };
      if (propagation !== "") bindOptions.Propagation = propagation;
      out.mounts.push({ Type: "bind", Source: m.hostPath, Target: m.containerPath, ReadOnly: true, BindOptions: bindOptions });
      return;
    }
    out.notes.push(
      `The read-only mount of "${m.hostPath}" at "${m.containerPath}" asks for SELinux relabelling, which only a Docker bind string can say; ` +
        "Docker makes such a bind recursively read-only where the kernel allows it, so mounts below it are read-only too",
    );
  }
  const attrs: string[] = [];
  if (m.readonly) attrs.push("ro");
  if (m.selinuxRelabel) attrs.push("Z");
  if (propagation !== "") attrs.push(propagation);
  out.binds.push(attrs.length === 0 ? `${m.hostPath}:${m.containerPath}` : `${m.hostPath}:${m.containerPath}:${attrs.join(",")}`);
}

/**
 * An image volume (KEP 4639). The CRI defines them read-only and without a host path; containerd
 * refuses `readonly` unset, and so do we, since Docker would make it read-only anyway. Docker cannot
 * relabel it or make it noexec; the sub path is a directory of the image, relative, never leaving it.
 */
function imageMount(m: Mount, engine: MountEngine, out: DockerMountSpec): void {
  const image = m.image?.image ?? "";
  const what = `Invalid image volume "${image}" at "${m.containerPath}"`;
  if (image === "") throw new CriError("InvalidArgument", `${what}: image_sub_path "${m.imageSubPath}" is set without an image`);
  commonChecks(m, what);
  if (m.hostPath !== "") throw new CriError("InvalidArgument", `${what}: an image volume has no host path, got "${m.hostPath}"`);
  if (!m.readonly) throw new CriError("InvalidArgument", `${what}: image volumes are read-only, readonly must be set`);
  if (m.propagation !== MountPropagation.PROPAGATION_PRIVATE) throw new CriError("InvalidArgument", `${what}: an image volume takes no mount propagation`);
  const sub = m.imageSubPath;
  if (sub !== "" && (sub.startsWith("/") || sub.includes("\0") || posix.normalize(sub).split("/").includes(".."))) {
    throw new CriError("InvalidArgument", `${what}: image_sub_path "${sub}" must be a relative path inside the image`);
  }
  if (!engine.imageVolumes) {
    throw new CriError(
      "FailedPrecondition",
      `${what}: image volumes need Docker API ${FEATURE_API_VERSIONS.imageVolumes} (Docker ${FEATURE_DOCKER_RELEASES.imageVolumes}) or newer; ` +
        `docker-cri speaks API ${engine.apiVersion} with Docker ${engine.dockerVersion || "(unknown)"}`,
    );
  }
  if (sub !== "" && !engine.imageVolumeSubpath) {
    throw new CriError(
      "FailedPrecondition",
      `${what}: an image volume's sub path needs Docker API ${FEATURE_API_VERSIONS.imageVolumeSubpath} (Docker ${FEATURE_DOCKER_RELEASES.imageVolumeSubpath}) or newer; ` +
        `docker-cri speaks API ${engine.apiVersion} with Docker ${engine.dockerVersion || "(unknown)"}`,
    );
  }
  if (m.selinuxRelabel) out.notes.push(`The image volume "${image}" at "${m.containerPath}" asks for SELinux relabelling, which Docker cannot do for an image mount`);
  out.mounts.push({ Type: "image", Source: image, Target: m.containerPath, ReadOnly: true, ...(sub === "" ? {} : { ImageOptions: { Subpath: sub } }) });
}

/** CRI propagation as Docker's name for it ("" for private, Docker's default). */
function dockerPropagation(p: MountPropagation, what: string): "" | "rslave" | "rshared" {
  switch (p) {
    case MountPropagation.PROPAGATION_PRIVATE:
      return "";
    case MountPropagation.PROPAGATION_HOST_TO_CONTAINER:
      return "rslave";
    case MountPropagation.PROPAGATION_BIDIRECTIONAL:
      return "rshared";
    default:
      throw new CriError("InvalidArgument", `${what}: unknown propagation ${String(p)}`);
  }
}

/** CRI devices as Docker's device mappings; permissions default to "rwm" as in the kubelet. */
export function containerDevices(devices: readonly Device[]): Record<string, string>[] {
  return devices.map((d) => {
    if (!isAbsolute(d.hostPath) || !isAbsolute(d.containerPath)) {
      throw new CriError("InvalidArgument", `Invalid device "${d.hostPath}" at "${d.containerPath}": both paths must be absolute`);
    }
    const permissions = d.permissions === "" ? "rwm" : d.permissions;
    if (!/^[rwm]{1,3}$/.test(permissions) || new Set(permissions).size !== permissions.length) {
      throw new CriError("InvalidArgument", `Invalid device "${d.hostPath}": permissions "${d.permissions}" must be made of r, w and m`);
    }
    return { PathOnHost: d.hostPath, PathInContainer: d.containerPath, CgroupPermissions: permissions };
  });
}

/** Docker's propagation names back as CRI's. */
export function criPropagation(dockerPropagation: string): MountPropagation {
  if (dockerPropagation === "rshared" || dockerPropagation === "shared") return MountPropagation.PROPAGATION_BIDIRECTIONAL;
  if (dockerPropagation === "rslave" || dockerPropagation === "slave") return MountPropagation.PROPAGATION_HOST_TO_CONTAINER;
  return MountPropagation.PROPAGATION_PRIVATE;
}
