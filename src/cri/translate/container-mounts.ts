import { isAbsolute } from "node:path";
import { CriError } from "../../errors/index.js";
import { MountPropagation, type Device, type Mount } from "../../gen/index.js";

/** Docker's two ways of asking for mounts: the `Binds` strings and the structured `Mounts`. */
export interface DockerMountSpec {
  /** "host:container[:ro,Z,rshared]" */
  readonly binds: string[];
  /** Structured mounts, only where a bind string cannot say it (recursive read-only). */
  readonly mounts: Record<string, unknown>[];
}

/**
 * CRI mounts as Docker binds, the way dockershim wrote them: "ro" for read-only, "Z" for SELinux
 * relabelling (a no-op on hosts without SELinux), "rslave"/"rshared" for host-to-container and
 * bidirectional propagation (private is Docker's default). Recursive read-only needs the structured
 * form with BindOptions.ReadOnlyForceRecursive, which Docker has from API 1.44 (Docker 25) on; older
 * daemons make such a bind read-only at its top only, so it is refused there rather than weakened.
 * What Docker cannot express at all (ID-mapped mounts, image volumes, mount options) is refused.
 */
export function containerMounts(mounts: readonly Mount[], opts: { readonly recursiveReadOnly: boolean }): DockerMountSpec {
  const binds: string[] = [];
  const structured: Record<string, unknown>[] = [];
  for (const m of mounts) {
    const what = `Invalid mount of "${m.hostPath}" at "${m.containerPath}"`;
    if ((m.image?.image ?? "") !== "" || m.imageSubPath !== "") {
      throw new CriError("InvalidArgument", `${what}: image volumes are not supported by Docker through docker-cri`);
    }
    if (m.uidMappings.length > 0 || m.gidMappings.length > 0) throw new CriError("InvalidArgument", `${what}: Docker cannot ID-map a bind mount`);
    if (m.mountOptions.length > 0) throw new CriError("InvalidArgument", `${what}: Docker binds take no mount options (${m.mountOptions.join(", ")})`);
    if (!isAbsolute(m.containerPath)) throw new CriError("InvalidArgument", `${what}: the container path must be absolute`);
    if (!isAbsolute(m.hostPath)) throw new CriError("InvalidArgument", `${what}: the host path must be absolute`);
    // A bind string is colon-separated; a colon or comma inside a path would be read as options.
    if (/[:,]/.test(m.hostPath) || /[:,]/.test(m.containerPath)) throw new CriError("InvalidArgument", `${what}: Docker binds cannot have ":" or "," in a path`);

    if (m.recursiveReadOnly) {
      if (!m.readonly || m.propagation !== MountPropagation.PROPAGATION_PRIVATE) {
        throw new CriError("InvalidArgument", `${what}: recursive read-only needs readonly set and private propagation`);
      }
      if (!opts.recursiveReadOnly) {
        throw new CriError("InvalidArgument", `${what}: recursive read-only mounts need Docker API 1.44 (Docker 25) or newer`);
      }
      if (m.selinuxRelabel) throw new CriError("InvalidArgument", `${what}: Docker cannot relabel a recursive read-only mount`);
      structured.push({ Type: "bind", Source: m.hostPath, Target: m.containerPath, ReadOnly: true, BindOptions: { ReadOnlyForceRecursive: true } });
      continue;
    }
    const attrs: string[] = [];
    if (m.readonly) attrs.push("ro");
    if (m.selinuxRelabel) attrs.push("Z");
    switch (m.propagation) {
      case MountPropagation.PROPAGATION_PRIVATE:
        break;
      case MountPropagation.PROPAGATION_HOST_TO_CONTAINER:
        attrs.push("rslave");
        break;
      case MountPropagation.PROPAGATION_BIDIRECTIONAL:
        attrs.push("rshared");
        break;
      default:
        throw new CriError("InvalidArgument", `${what}: unknown propagation ${String(m.propagation)}`);
    }
    binds.push(attrs.length === 0 ? `${m.hostPath}:${m.containerPath}` : `${m.hostPath}:${m.containerPath}:${attrs.join(",")}`);
  }
  return { binds, mounts: structured };
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
