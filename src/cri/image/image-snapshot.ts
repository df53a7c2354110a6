import type { DockerImage, DockerImageSummary, ImagesApi, ImageStore } from "../../docker/index.js";
import { hasKind } from "../../errors/index.js";
import { imageNames } from "./image-names.js";
import { formatReference, tryParseImageReference, withDefaultTag } from "./image-reference.js";

/** One image as Docker reported it: its `/images/json` entry and its inspect. */
export interface CachedImage {
  readonly summary: DockerImageSummary;
  readonly inspect: DockerImage;
}

/** Inspections run at once while reading, so a first read on a node with many images does not flood dockerd. */
const parallelInspects = 8;

const fullId = /^sha256:[a-f0-9]{64}$/;
const bareId = /^[a-f0-9]{64}$/;

/**
 * Docker's images at one moment: the whole `GET /images/json` in Docker's order, each with its
 * inspect. Never changed once made; the image cache replaces it whole.
 */
export class ImageSnapshot {
  readonly images: readonly CachedImage[];
  /** When the read that made it started (the clock the cache was given, ms). */
  readonly takenAt: number;
  readonly #byId: ReadonlyMap<string, CachedImage>;
  /** Each name (normalised, as Docker's lookup normalises it) → its image, per image store; null when two claim it. */
  #names: { readonly store: ImageStore; readonly map: ReadonlyMap<string, CachedImage | null> } | undefined;

  constructor(images: readonly CachedImage[], takenAt: number) {
    this.images = images;
    this.takenAt = takenAt;
    this.#byId = new Map(images.map((img) => [img.summary.id, img]));
  }

  /** The same reading without the images `ids` holds (by id): for answers after a removal of ours. */
  without(ids: { has(id: string): boolean }): ImageSnapshot {
    return new ImageSnapshot(this.images.filter((img) => !ids.has(img.summary.id)), this.takenAt);
  }

  byId(id: string): CachedImage | undefined {
    return this.#byId.get(id);
  }

  /**
   * The image `spec` names, when its names alone decide it the way Docker's inspect resolves it: a
   * full id ("sha256:…" or its 64 hex digits), or a reference that is one of an image's names
   * ("busybox" meaning busybox:latest, "docker.io/library/busybox:1", "repo@sha256:…"). Docker looks
   * a reference up among the names before trying it as an id prefix, so a name found here is the
   * image Docker gives. Undefined when the names do not decide (an id prefix, a name nobody has, a
   * reference with both tag and digest): the caller then asks Docker.
   */
  find(spec: string, store: ImageStore): CachedImage | undefined {
    if (fullId.test(spec)) return this.#byId.get(spec);
    if (bareId.test(spec)) return this.#byId.get(`sha256:${spec}`);
    const ref = tryParseImageReference(spec);
    if (ref === undefined || (ref.tag !== undefined && ref.digest !== undefined)) return undefined;
    return this.#nameIndex(store).get(formatReference(withDefaultTag(ref))) ?? undefined;
  }

  #nameIndex(store: ImageStore): ReadonlyMap<string, CachedImage | null> {
    if (this.#names?.store === store) return this.#names.map;
    const map = new Map<string, CachedImage | null>();
    for (const img of this.images) {
      const names = imageNames(img.inspect, store);
      for (const name of [...names.repoTags, ...names.repoDigests]) {
        const ref = tryParseImageReference(name);
        if (ref === undefined) continue;
        const key = formatReference(ref);
        const held = map.get(key);
        map.set(key, held === undefined || held === img ? img : null);
      }
    }
    this.#names = { store, map };
    return map;
  }
}

/**
 * Reads Docker's images: one list, and an inspect of each image that is new or whose names changed
 * (or that an event named, `reinspect`); the others keep the inspect `previous` holds, since an
 * image id is a content digest and only its names can change. An image removed between the list
 * and its inspect is left out.
 */
export async function readSnapshot(
  images: Pick<ImagesApi, "list" | "inspect">,
  previous: ImageSnapshot | undefined,
  reinspect: ReadonlySet<string>,
  takenAt: number,
  signal: AbortSignal,
): Promise<ImageSnapshot> {
  const listed = await images.list({}, signal);
  const found: (CachedImage | undefined)[] = listed.map((summary) => {
    const prev = previous?.byId(summary.id);
    return prev !== undefined && !reinspect.has(summary.id) && sameNames(prev.summary, summary) ? { summary, inspect: prev.inspect } : undefined;
  });
  const missing = listed.flatMap((_, i) => (found[i] === undefined ? [i] : []));
  for (let k = 0; k < missing.length; k += parallelInspects) {
    await Promise.all(
      missing.slice(k, k + parallelInspects).map(async (i) => {
        const summary = listed[i];
        if (summary === undefined) return;
        try {
          found[i] = { summary, inspect: await images.inspect(summary.id, signal) };
        } catch (err) {
          if (!hasKind(err, "NotFound")) throw err;
        }
      }),
    );
  }
  return new ImageSnapshot(found.filter((img) => img !== undefined), takenAt);
}

function sameNames(a: DockerImageSummary, b: DockerImageSummary): boolean {
  return sameSet(a.repoTags, b.repoTags) && sameSet(a.repoDigests, b.repoDigests) && a.size === b.size;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}
