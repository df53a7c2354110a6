import { DockerApiError, type DockerImage, type ImagesApi } from "../../docker/index.js";
import { hasKind, toCriError, withContext, type CriError } from "../../errors/index.js";
import type { AuthConfig } from "../../gen/index.js";
import type { Logger } from "../../logger/index.js";
import { familiarName, formatReference, parseImageReference, withDefaultTag, type ImageReference } from "./image-reference.js";
import { followPullProgress } from "./pull-progress.js";
import { encodeRegistryAuth } from "./registry-auth.js";
import { SharedOperations } from "./merged-pulls.js";

export interface ImagePullerOptions {
  readonly images: Pick<ImagesApi, "pull" | "inspect">;
  /** --image-pull-progress-deadline. */
  readonly progressDeadlineMs: number;
  /** How often a running pull logs its progress (10 s, as dockershim). */
  readonly progressLogIntervalMs: number;
  /**
   * Runs after every successful pull with the pulled image's inspect, before it is answered: the
   * image cache takes it in (ImageCache.pulled), so the caller's next ImageStatus or ListImages
   * shows the image.
   */
  readonly afterPull?: (image: DockerImage, signal: AbortSignal) => Promise<void>;
}

/**
 * The one way images get pulled, for PullImage and for the pod sandbox's pause image alike:
 * references normalised as Docker does, credentials encoded for Docker, concurrent pulls of one
 * reference with the same credentials merged into one Docker pull, progress watched.
 */
export class ImagePuller {
  readonly #opts: ImagePullerOptions;
  readonly #pulls = new SharedOperations<string>();

  constructor(opts: ImagePullerOptions) {
    this.#opts = opts;
  }

  /**
   * Pulls `image` and returns its image ref: Docker's image id of what was pulled (classic store: the
   * config digest; containerd store: the manifest or index digest), the id ImageStatus, ListImages and
   * the container RPCs give. `signal` detaches this caller only; the Docker pull stops when every
   * caller waiting for it has gone.
   */
  async pull(image: string, auth: AuthConfig | undefined, signal: AbortSignal, log: Logger): Promise<string> {
    const ref = withDefaultTag(parseImageReference(image));
    const credentials = encodeRegistryAuth(auth);
    // Credentials are part of the key (as a digest): a caller must never get an image pulled with
    // someone else's credentials, nor fail because of someone else's wrong ones.
    const key = `${formatReference(ref)}\n${credentials?.identity ?? ""}`;
    if (this.#pulls.has(key)) log.info({ image: formatReference(ref) }, "Joining a pull of the same image already in progress");
    return this.#pulls.run(key, signal, (shared) => this.#pullOnce(ref, credentials?.header, shared, log));
  }

  /**
   * Makes sure `image` is present, pulling it anonymously when it is not (the pod sandbox's pause
   * image). A property, so that it can be handed around without its object. Docker is asked, never
   * the image cache: this answer decides a pull, and a removal whose event is still on its way
   * must not make a sandbox start without its image.
   */
  readonly ensureImage = async (image: string, signal: AbortSignal, log: Logger): Promise<void> => {
    const ref = withDefaultTag(parseImageReference(image));
    try {
      await this.#opts.images.inspect(formatReference(ref), signal);
      return;
    } catch (err) {
      if (!hasKind(err, "NotFound")) throw err;
    }
    log.info({ image: formatReference(ref) }, "Image is not present; pulling it");
    await this.pull(image, undefined, signal, log);
  };

  async #pullOnce(ref: ImageReference, registryAuth: string | undefined, signal: AbortSignal, log: Logger): Promise<string> {
    const image = formatReference(ref);
    const started = performance.now();
    const stall = new AbortController();
    // Both signals live only as long as this pull, so AbortSignal.any cannot accumulate listeners.
    const pullSignal = AbortSignal.any([signal, stall.signal]);
    log.info({ image, withCredentials: registryAuth !== undefined }, "Pulling image");
    let outcome;
    try {
      const messages = await this.#opts.images.pull(
        // What the Go client sends: the familiar name, and the digest (which wins over a tag) or the tag.
        { fromImage: familiarName(ref), tag: ref.digest ?? ref.tag ?? "latest", registryAuth },
        pullSignal,
      );
      outcome = await followPullProgress(messages, {
        image,
        progressDeadlineMs: this.#opts.progressDeadlineMs,
        logIntervalMs: this.#opts.progressLogIntervalMs,
        log,
        cancel: (reason) => { stall.abort(reason); },
      });
    } catch (err) {
      // The stall's error already names the image and says why.
      if (stall.signal.aborted) throw toCriError(stall.signal.reason);
      throw pullFailure(image, err);
    }
    const pulled = await this.#opts.images.inspect(image, signal);
    await this.#opts.afterPull?.(pulled, signal);
    // The image id: CRI (v1.36) requires PullImage's image_ref to be what ImageStatus and ListImages
    // give as Image.id and what Container(Status).image_id give for containers of the image.
    const imageRef = pulled.id;
    log.info({ image, imageRef, durationMs: Math.round(performance.now() - started), lastProgress: outcome.last }, "Pulled image");
    return imageRef;
  }
}

/** Names the image in every failure, keeping Docker's own words and the error's kind. */
function pullFailure(image: string, err: unknown): CriError {
  const e = toCriError(err);
  const detail = e.cause instanceof DockerApiError ? e.cause.dockerMessage : e.message;
  return withContext(e, `Cannot pull image "${image}"`, detail);
}
