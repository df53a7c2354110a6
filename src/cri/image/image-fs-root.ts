import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { EngineFeatures } from "../../docker/index.js";

/** containerd's root when its config does not say otherwise. */
export const defaultContainerdRoot = "/var/lib/containerd";
export const containerdConfigPath = "/etc/containerd/config.toml";

/** The few filesystem questions imageFsRoot asks; tests answer them from a temp directory. */
export interface RootProbe {
  isDirectory(path: string): Promise<boolean>;
  /** The file's text, undefined when it cannot be read. */
  readText(path: string): Promise<string | undefined>;
}

export const localProbe: RootProbe = {
  isDirectory: async (path) => (await stat(path).catch(() => undefined))?.isDirectory() ?? false,
  readText: (path) => readFile(path, "utf8").catch(() => undefined),
};

/**
 * The directory the engine's images live in, the mount point ImageFsInfo reports (the kubelet reads
 * that filesystem's capacity and free space for its image GC and imagefs eviction).
 *
 * - Classic store: Docker's root directory (layers in `<root>/<graph driver>`, e.g. overlay2).
 * - containerd store: containerd's root, which holds the content store
 *   (`io.containerd.content.v1.content`, the compressed blobs) and the snapshotter
 *   (`io.containerd.snapshotter.v1.overlayfs`, unpacked layers and the containers' writable layers);
 *   Docker's root then holds only container metadata and logs. Docker does not say where that root
 *   is (`/info` gives containerd's socket address, on Docker 27 and later only), so the candidates
 *   are tried in turn and the first with the engine's snapshotter directory wins: the containerd
 *   dockerd runs itself (`<DockerRootDir>/containerd/daemon`), the `root` of the system
 *   containerd's config, containerd's default root. When none has it (docker-cri on another host
 *   than dockerd), Docker's root is answered.
 */
export async function imageFsRoot(engine: Pick<EngineFeatures, "imageStore" | "storageDriver">, dockerRootDir: string, probe: RootProbe = localProbe): Promise<string> {
  if (engine.imageStore === "classic") return dockerRootDir;
  const snapshotter = `io.containerd.snapshotter.v1.${engine.storageDriver === "" ? "overlayfs" : engine.storageDriver}`;
  const configured = configuredRoot(await probe.readText(containerdConfigPath));
  const candidates = [join(dockerRootDir, "containerd", "daemon"), ...(configured === undefined ? [] : [configured]), defaultContainerdRoot];
  for (const dir of candidates) {
    if (await probe.isDirectory(join(dir, snapshotter))) return dir;
  }
  return dockerRootDir;
}

/** The top-level `root = "…"` of a containerd config.toml (before any table), if set. */
export function configuredRoot(toml: string | undefined): string | undefined {
  if (toml === undefined) return undefined;
  for (const raw of toml.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("[")) return undefined;
    const m = /^root\s*=\s*(?:"([^"]*)"|'([^']*)')\s*(?:#.*)?$/.exec(line);
    const value = m?.[1] ?? m?.[2];
    if (value !== undefined && value !== "") return value;
  }
  return undefined;
}
