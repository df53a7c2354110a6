import type { ImageStore, ImagesApi } from "../../docker/index.js";
import { hasKind } from "../../errors/index.js";
import { imageNames } from "../image/image-names.js";
import { referenceName, tryParseImageReference } from "../image/image-reference.js";

/** How a container's image is reported. */
export interface ImageIdentity {
  /**
   * ContainerStatus.image_ref in cri-dockerd's form, which existing nodes' tooling expects:
   * "docker-pullable://<repo digest>" when the image has one, else "docker://<image id>".
   */
  readonly imageRef: string;
  /**
   * Container(Status).image_id: the image id ("sha256:…"), which is what PullImage answers and what
   * ImageStatus and ListImages give as Image.id, as CRI (v1.36) requires of all four. Docker's
   * container `Image` is that id on both stores (classic: the config digest; containerd store: the
   * manifest or index digest).
   */
  readonly imageId: string;
}

interface Entry {
  readonly at: number;
  readonly repoDigests: Promise<readonly string[]>;
}

/**
 * Resolves image identities with a short-lived cache of each image id's repo digests: a container
 * list names one image over and over, and a pull that adds a digest shows up within `ttlMs`.
 */
export class ImageIdentities {
  readonly #images: Pick<ImagesApi, "inspect">;
  readonly #store: () => ImageStore;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, Entry>();

  /** `store` is the engine's image store now; digests are read as ImageStatus reads them (imageNames). */
  constructor(images: Pick<ImagesApi, "inspect">, store: () => ImageStore, ttlMs = 30_000) {
    this.#images = images;
    this.#store = store;
    this.#ttlMs = ttlMs;
  }

  /** `imageName` is the reference the container was created from, `imageId` its "sha256:…" id. */
  async resolve(imageName: string, imageId: string, signal: AbortSignal): Promise<ImageIdentity> {
    if (imageId === "") return { imageRef: "", imageId: "" };
    const digests = await this.#repoDigests(imageId, signal);
    const ref = tryParseImageReference(imageName);
    const own = ref === undefined ? undefined : digests.find((d) => {
      const parsed = tryParseImageReference(d);
      return parsed !== undefined && referenceName(parsed) === referenceName(ref);
    });
    const digest = own ?? digests[0];
    return { imageRef: digest === undefined ? `docker://${imageId}` : `docker-pullable://${digest}`, imageId };
  }

  #repoDigests(imageId: string, signal: AbortSignal): Promise<readonly string[]> {
    const now = Date.now();
    const hit = this.#cache.get(imageId);
    if (hit !== undefined && now - hit.at < this.#ttlMs) return hit.repoDigests;
    const repoDigests = this.#images.inspect(imageId, signal).then(
      (img) => imageNames(img, this.#store()).repoDigests,
      (err: unknown) => {
        this.#cache.delete(imageId);
        // An image removed under its containers (docker rmi -f) is reported by id alone.
        if (hasKind(err, "NotFound")) return [];
        throw err;
      },
    );
    this.#cache.set(imageId, { at: now, repoDigests });
    if (this.#cache.size > 1000) this.#prune(now);
    return repoDigests;
  }

  #prune(now: number): void {
    for (const [id, e] of this.#cache) if (now - e.at >= this.#ttlMs) this.#cache.delete(id);
  }
}
