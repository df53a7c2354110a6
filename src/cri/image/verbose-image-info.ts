import type { DockerImage, DockerImageHistoryItem } from "../../docker/index.js";

/**
 * The `info` of a verbose ImageStatus: `info["info"]` holds JSON of the image's labels and its OCI
 * image spec (created, author, platform, config, rootfs, history oldest first), the shape crictl's
 * `inspecti` prints and cri-dockerd and containerd answer with. Empty fields are left out, as the
 * OCI spec's omitempty does.
 */
export function verboseImageInfo(img: DockerImage, history: readonly DockerImageHistoryItem[]): Record<string, string> {
  const c = img.config;
  const config = compact({
    User: c.user,
    ExposedPorts: asSet(c.exposedPorts),
    Env: c.env,
    Entrypoint: c.entrypoint,
    Cmd: c.cmd,
    Volumes: asSet(c.volumes),
    WorkingDir: c.workingDir,
    Labels: Object.keys(c.labels).length === 0 ? undefined : c.labels,
    StopSignal: c.stopSignal,
  });
  const imageSpec = compact({
    created: img.created,
    author: img.author,
    architecture: img.architecture,
    os: img.os,
    config,
    rootfs: { type: img.rootFs.type, diff_ids: img.rootFs.layers },
    // Docker lists the newest layer first; the OCI history runs from the base up.
    history: [...history].reverse().map((h) =>
      compact({
        created: h.created > 0 ? new Date(h.created * 1000).toISOString() : undefined,
        created_by: h.createdBy,
        comment: h.comment,
        empty_layer: h.size === 0 ? true : undefined,
      }),
    ),
  });
  const info = compact({ labels: config.Labels, imageSpec });
  return { info: JSON.stringify(info) };
}

function asSet(keys: readonly string[]): Record<string, Record<string, never>> | undefined {
  if (keys.length === 0) return undefined;
  return Object.fromEntries(keys.map((k) => [k, {}]));
}

/** Drops undefined, "" and [] values, like Go's omitempty. */
function compact<T extends Record<string, unknown>>(obj: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(obj) as (keyof T)[]) { // Object.keys of a T yields T's own keys.
    const v = obj[key];
    if (v === undefined || v === "" || (Array.isArray(v) && v.length === 0)) continue;
    out[key] = v;
  }
  return out;
}
