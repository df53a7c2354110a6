import { compareApiVersions } from "./api-version.js";
import type { DockerInfo } from "./info.js";
import type { NegotiatedVersion } from "./negotiate.js";

/** Where the engine keeps images: its own graph driver (classic) or containerd's content store and snapshotters. */
export type ImageStore = "classic" | "containerd";

/**
 * What the Docker Engine in front of us can do, derived from the API version we speak with it and
 * from `GET /info`. Every version-dependent behaviour asks this object instead of comparing versions
 * itself, so that the rules live in one place and `docker-cri doctor` can print them.
 */
export interface EngineFeatures {
  /** Docker's release, e.g. "28.5.2". */
  readonly dockerVersion: string;
  /** The API version every request uses (the negotiated one). */
  readonly apiVersion: string;
  /** The newest API version the daemon speaks. */
  readonly daemonApiVersion: string;
  readonly imageStore: ImageStore;
  /** `docker info` Driver: "overlay2" (classic) or the snapshotter, "overlayfs" (containerd store). */
  readonly storageDriver: string;
  /**
   * `BindOptions.ReadOnlyNonRecursive` and `ReadOnlyForceRecursive` (API 1.44, Docker 25). From 1.44 on a
   * plain read-only bind is made recursively read-only where the kernel allows it, so a non-recursive one
   * must be asked for with ReadOnlyNonRecursive; before 1.44 read-only binds are never recursive.
   */
  readonly bindReadOnlyOptions: boolean;
  /** Recursive read-only binds: the options above and a kernel with mount_setattr(2) (Linux 5.12). */
  readonly recursiveReadOnly: boolean;
  /** Mounts of type "image" (image volumes, API 1.48, Docker 28.0). */
  readonly imageVolumes: boolean;
  /**
   * `ImageOptions.Subpath` of an image mount: it came with the image mount itself (moby#48798, Docker
   * 28.0; the API 1.48 swagger has it, the 1.49 changelog adds nothing to image mounts).
   */
  readonly imageVolumeSubpath: boolean;
  /**
   * CDI device requests (`DeviceRequests` with driver "cdi"): the daemon reports CDI spec directories
   * (`CDISpecDirs`, API 1.44; empty when CDI is turned off, the default before Docker 28.2, which
   * earlier releases turn on with `"features": {"cdi": true}`).
   */
  readonly cdi: boolean;
  /** `GET /info` lists the CDI devices the daemon knows (`DiscoveredDevices`, API 1.50, Docker 28.2). */
  readonly cdiDeviceList: boolean;
  readonly cdiSpecDirs: readonly string[];
  readonly kernelVersion: string;
}

/**
 * The API versions each feature needs, as Docker's API changelog (api/docs/CHANGELOG.md) and swagger
 * give them: 1.44 "BindOptions.ReadOnlyNonRecursive and BindOptions.ReadOnlyForceRecursive" and
 * "GET /info now includes a CDISpecDirs field"; 1.48 "Mount of type image" (whose ImageOptions.Subpath
 * the v1.48 swagger already has); 1.50 "GET /info now includes a DiscoveredDevices field".
 */
export const FEATURE_API_VERSIONS = {
  bindReadOnlyOptions: "1.44",
  imageVolumes: "1.48",
  imageVolumeSubpath: "1.48",
  cdi: "1.44",
  cdiDeviceList: "1.50",
} as const;

/** The first Docker release of each API version above, for messages. */
export const FEATURE_DOCKER_RELEASES = {
  bindReadOnlyOptions: "25",
  imageVolumes: "28",
  imageVolumeSubpath: "28",
  cdi: "25",
  cdiDeviceList: "28.2",
} as const;

export function engineFeatures(version: Pick<NegotiatedVersion, "version" | "apiVersion" | "daemonApiVersion">, info: DockerInfo): EngineFeatures {
  const atLeast = (v: string): boolean => compareApiVersions(version.apiVersion, v) >= 0;
  const bindReadOnlyOptions = atLeast(FEATURE_API_VERSIONS.bindReadOnlyOptions);
  return {
    dockerVersion: version.version,
    apiVersion: version.apiVersion,
    daemonApiVersion: version.daemonApiVersion,
    imageStore: imageStoreOf(info),
    storageDriver: info.storageDriver,
    bindReadOnlyOptions,
    recursiveReadOnly: bindReadOnlyOptions && kernelAtLeast(info.kernelVersion, 5, 12),
    imageVolumes: atLeast(FEATURE_API_VERSIONS.imageVolumes),
    imageVolumeSubpath: atLeast(FEATURE_API_VERSIONS.imageVolumeSubpath),
    cdi: atLeast(FEATURE_API_VERSIONS.cdi) && info.cdiSpecDirs.length > 0,
    cdiDeviceList: atLeast(FEATURE_API_VERSIONS.cdiDeviceList),
    cdiSpecDirs: info.cdiSpecDirs,
    kernelVersion: info.kernelVersion,
  };
}

/** The containerd image store shows itself as a containerd snapshotter in `DriverStatus`. */
export function imageStoreOf(info: Pick<DockerInfo, "driverStatus">): ImageStore {
  return info.driverStatus.some(([key, value]) => key === "driver-type" && value.startsWith("io.containerd.snapshotter")) ? "containerd" : "classic";
}

/** "6.1.0-13-amd64" ≥ 5.12; an unreadable version counts as too old (the feature is then not offered). */
export function kernelAtLeast(kernelVersion: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(kernelVersion);
  if (m === null) return false;
  const [kMajor, kMinor] = [Number(m[1]), Number(m[2])];
  return kMajor > major || (kMajor === major && kMinor >= minor);
}
