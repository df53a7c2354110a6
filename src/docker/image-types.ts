import { CriError } from "../errors/index.js";
import { JsonObjectReader } from "./parse.js";

/**
 * One entry of `GET /images/json`, as Docker gives it; src/cri/image/image-names.ts reads the names
 * the same way for both image stores.
 */
export interface DockerImageSummary {
  /** "sha256:…": the config digest (classic store) or the manifest or index digest (containerd store). */
  readonly id: string;
  /**
   * Familiar references ("busybox:latest", "127.0.0.1:5000/x:v1"); Docker < 1.13 listed "<none>:<none>".
   * The containerd store (Docker 26, 28) also lists here the name a pull by digest gave ("x@sha256:…").
   */
  readonly repoTags: string[];
  /** The containerd store lists the digest of one of the image's names only (inspect gives one per name). */
  readonly repoDigests: string[];
  /** Bytes on disk: the unpacked layers (classic), compressed content plus unpacked snapshots (containerd store). */
  readonly size: number;
  readonly labels: Record<string, string>;
}

/** The image config fields a runtime acts on (the OCI image config's `config`). */
export interface DockerImageConfig {
  /** `USER` as written: "", "1002", "www-data", "1003:1004", "www-data:staff". */
  readonly user: string;
  readonly env: string[];
  readonly entrypoint: string[];
  readonly cmd: string[];
  readonly workingDir: string;
  readonly labels: Record<string, string>;
  readonly stopSignal: string;
  /** Keys of ExposedPorts ("80/tcp"). */
  readonly exposedPorts: string[];
  /** Keys of Volumes ("/data"). */
  readonly volumes: string[];
}

/** `GET /images/{name}/json`. */
export interface DockerImage {
  readonly id: string;
  readonly repoTags: string[];
  readonly repoDigests: string[];
  /** The unpacked layers on both stores; with the containerd store less than the list's `size` (no compressed content). */
  readonly size: number;
  /** RFC 3339 with nanoseconds, as Docker writes it; "" when unknown. */
  readonly created: string;
  readonly author: string;
  readonly architecture: string;
  readonly os: string;
  readonly config: DockerImageConfig;
  readonly rootFs: { readonly type: string; readonly layers: string[] };
}

/** One entry of `GET /images/{name}/history`. */
export interface DockerImageHistoryItem {
  /** Image id of the layer's image, or "<missing>" for layers pulled from a registry. */
  readonly id: string;
  /** Seconds since the epoch. */
  readonly created: number;
  readonly createdBy: string;
  readonly comment: string;
  readonly size: number;
  readonly tags: string[];
}

export function parseImageSummary(body: unknown, where: string): DockerImageSummary {
  const r = JsonObjectReader.of(body, 'Docker "list_images" response', where);
  return {
    id: r.string("Id"),
    repoTags: r.optStringArray("RepoTags"),
    repoDigests: r.optStringArray("RepoDigests"),
    size: r.optNumber("Size"),
    labels: r.optStringMap("Labels"),
  };
}

export function parseImage(body: unknown): DockerImage {
  const r = JsonObjectReader.of(body, 'Docker "inspect_image" response');
  // Images imported from an empty tarball have no config at all.
  const c = r.optObject("Config");
  const rootFs = r.optObject("RootFS");
  return {
    id: r.string("Id"),
    repoTags: r.optStringArray("RepoTags"),
    repoDigests: r.optStringArray("RepoDigests"),
    size: r.optNumber("Size"),
    created: r.optString("Created"),
    author: r.optString("Author"),
    architecture: r.optString("Architecture"),
    os: r.optString("Os"),
    config: {
      user: c?.optString("User") ?? "",
      env: c?.optStringArray("Env") ?? [],
      entrypoint: c?.optStringArray("Entrypoint") ?? [],
      cmd: c?.optStringArray("Cmd") ?? [],
      workingDir: c?.optString("WorkingDir") ?? "",
      labels: c?.optStringMap("Labels") ?? {},
      stopSignal: c?.optString("StopSignal") ?? "",
      exposedPorts: c?.optObject("ExposedPorts")?.keys() ?? [],
      volumes: c?.optObject("Volumes")?.keys() ?? [],
    },
    rootFs: { type: rootFs?.optString("Type") ?? "", layers: rootFs?.optStringArray("Layers") ?? [] },
  };
}

export function parseImageHistory(body: unknown): DockerImageHistoryItem[] {
  if (!Array.isArray(body)) throw new CriError("Internal", 'Unexpected Docker "image_history" response: the body is not an array');
  return body.map((item: unknown, i) => {
    const r = JsonObjectReader.of(item, 'Docker "image_history" response', `[${i}]`);
    return {
      id: r.optString("Id"),
      created: r.optNumber("Created"),
      createdBy: r.optString("CreatedBy"),
      comment: r.optString("Comment"),
      size: r.optNumber("Size"),
      tags: r.optStringArray("Tags"),
    };
  });
}
