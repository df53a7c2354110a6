import { parseImageReference, sameReference, tryParseImageReference, withDefaultTag, type ImageReference } from "./image-reference.js";

/**
 * Which images are reported as pinned (the kubelet's image garbage collector never removes them): the
 * pod sandbox image, matched by reference as Docker resolves it, so "registry.k8s.io/pause:3.10" in
 * the flag pins the image whose RepoTags say "registry.k8s.io/pause:3.10", and "pause" pins
 * "pause:latest" (docker.io/library/pause:latest).
 */
export class PinnedImages {
  readonly #refs: readonly ImageReference[];

  /** Throws InvalidArgument for a reference Docker could not parse either. */
  constructor(refs: readonly string[]) {
    this.#refs = refs.filter((r) => r !== "").map((r) => withDefaultTag(parseImageReference(r)));
  }

  isPinned(repoTags: readonly string[], repoDigests: readonly string[]): boolean {
    if (this.#refs.length === 0) return false;
    for (const text of [...repoTags, ...repoDigests]) {
      const ref = tryParseImageReference(text);
      if (ref !== undefined && this.#refs.some((pin) => sameReference(pin, ref))) return true;
    }
    return false;
  }
}
