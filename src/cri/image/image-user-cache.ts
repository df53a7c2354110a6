import { hasKind } from "../../errors/index.js";
import type { ImagesApi } from "../../docker/index.js";
import { imageUser, type ImageUser } from "./image-user.js";

/** Inspections run at once when filling the cache, so a cold ListImages does not flood dockerd. */
const parallelInspects = 8;

/**
 * The `USER` of each image, by image id. `GET /images/json` does not carry the config, so ListImages
 * would need one inspect per image per call; but an image id is a content digest (of the config with
 * the classic store, of the manifest or index, which names the config, with the containerd store),
 * so the user of an id can never change and each id is inspected once. Entries of images that are gone are
 * dropped whenever a full list is seen.
 */
export class ImageUserCache {
  readonly #users = new Map<string, ImageUser>();

  /** Remembers what an inspect already told us. */
  remember(id: string, user: ImageUser): void {
    this.#users.set(id, user);
  }

  /**
   * The users of `ids`, inspecting those not known yet; an image removed meanwhile is left out of the
   * answer (and not cached).
   */
  async usersOf(ids: readonly string[], images: Pick<ImagesApi, "inspect">, signal: AbortSignal): Promise<ReadonlyMap<string, ImageUser>> {
    const missing = ids.filter((id) => !this.#users.has(id));
    for (let i = 0; i < missing.length; i += parallelInspects) {
      await Promise.all(
        missing.slice(i, i + parallelInspects).map(async (id) => {
          try {
            const img = await images.inspect(id, signal);
            this.#users.set(id, imageUser(img.config.user));
          } catch (err) {
            if (!hasKind(err, "NotFound")) throw err;
          }
        }),
      );
    }
    return this.#users;
  }

  /** Keeps only the ids in `present` (called with a complete image list). */
  retain(present: readonly string[]): void {
    const keep = new Set(present);
    for (const id of this.#users.keys()) if (!keep.has(id)) this.#users.delete(id);
  }

  get size(): number {
    return this.#users.size;
  }
}
