/**
 * Test images built on this machine without any network: a busybox image from the host's static
 * busybox and a pause image compiled from pause/pause.c.
 *
 * How they are built: a root filesystem tarball written in Node (tar.ts) is imported with
 * `POST /images/create?fromSrc=-` and the CMD/ENTRYPOINT/ENV/LABEL set through `changes`. Not the
 * legacy builder (`POST /build` with `FROM scratch`): import has existed unchanged since the earliest
 * API versions, needs no Dockerfile, build cache or builder session, and behaves the same on Docker
 * 20.10 (API 1.41) and on newer engines (API 1.44+), where the legacy builder is deprecated, BuildKit
 * is the default and the containerd image store changes the builder's backend. Import also yields one
 * layer whose content is exactly our tarball.
 *
 * Rebuilds are driven by content: each image carries a label with the hash of its inputs, and
 * `ensureTestImages` rebuilds only an image that is missing or whose hash differs. Builds run under a
 * file lock so that test files calling it at the same time do not import twice.
 */
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxRecipe } from "./busybox-rootfs.js";
import { DEFAULT_DOCKER_SOCKET, DockerApiError, dockerJson, dockerJsonStream, isRecord } from "./docker-api.js";
import { withFileLock } from "./file-lock.js";
import type { ImageRecipe } from "./image-recipe.js";
import { pauseRecipe } from "./pause-rootfs.js";

export const BUSYBOX_IMAGE = "docker-cri-test/busybox:latest";
export const PAUSE_IMAGE = "docker-cri-test/pause:latest";
/** Label holding the hash of an image's inputs. */
export const TEST_IMAGE_HASH_LABEL = "io.docker-cri.test.hash";
/** Label present on every image this kit builds, value "true". */
export const TEST_IMAGE_LABEL = "io.docker-cri.test";

export interface TestImageOptions {
  /**
   * Other references to build the images under, for tests of this kit that must not disturb the
   * shared BUSYBOX_IMAGE and PAUSE_IMAGE while other test processes use them.
   */
  readonly refs?: { readonly busybox?: string; readonly pause?: string };
  /** Docker Engine socket, default /var/run/docker.sock. */
  readonly socketPath?: string;
  /** Statically linked busybox to copy into the image, default /bin/busybox. */
  readonly busyboxBinary?: string;
  /** Lock file serializing builds across processes, default in the OS temp directory. */
  readonly lockPath?: string;
}

export interface TestImage {
  readonly ref: string;
  /** Image id, "sha256:…". */
  readonly id: string;
  /** True when this call imported the image, false when an up-to-date one was already there. */
  readonly built: boolean;
}

export interface TestImages {
  readonly busybox: TestImage;
  readonly pause: TestImage;
}

const DEFAULT_LOCK_PATH = join(tmpdir(), "docker-cri-test-images.lock");

/**
 * Makes sure both test images exist and are up to date; builds what is missing or stale. Idempotent
 * and safe to call concurrently from several test files.
 */
export async function ensureTestImages(options: TestImageOptions = {}): Promise<TestImages> {
  const socketPath = options.socketPath ?? DEFAULT_DOCKER_SOCKET;
  const busyboxOptions = options.busyboxBinary === undefined ? {} : { busyboxBinary: options.busyboxBinary };
  const [busyboxSpec, pauseSpec] = await Promise.all([
    busyboxRecipe(options.refs?.busybox ?? BUSYBOX_IMAGE, busyboxOptions),
    pauseRecipe(options.refs?.pause ?? PAUSE_IMAGE),
  ]);

  // Fast path without the lock: both images already current.
  const [busybox, pause] = await Promise.all([
    currentImage(busyboxSpec, socketPath),
    currentImage(pauseSpec, socketPath),
  ]);
  if (busybox !== undefined && pause !== undefined) return { busybox, pause };

  return withFileLock(options.lockPath ?? DEFAULT_LOCK_PATH, async () => ({
    // Sequential on purpose: the lock holder is the only builder, and imports are quick.
    busybox: await ensureImage(busyboxSpec, socketPath),
    pause: await ensureImage(pauseSpec, socketPath),
  }));
}

/**
 * Removes both test images, and any untagged older build of them. A missing image is fine; an image
 * that a running container still uses is untagged only.
 */
export async function removeTestImages(options: Pick<TestImageOptions, "refs" | "socketPath" | "lockPath"> = {}): Promise<void> {
  const socketPath = options.socketPath ?? DEFAULT_DOCKER_SOCKET;
  const refs = [options.refs?.busybox ?? BUSYBOX_IMAGE, options.refs?.pause ?? PAUSE_IMAGE];
  await withFileLock(options.lockPath ?? DEFAULT_LOCK_PATH, async () => {
    for (const ref of refs) await deleteImage(ref, socketPath, { force: true });
    // Dangling only: a forced delete by id would also drop the tags of a current image.
    const listed = await dockerJson({
      method: "GET",
      path: "/images/json",
      query: { filters: JSON.stringify({ label: [`${TEST_IMAGE_LABEL}=true`], dangling: ["true"] }) },
      socketPath,
    });
    for (const image of Array.isArray(listed) ? listed : []) {
      if (isRecord(image) && typeof image.Id === "string") await deleteImage(image.Id, socketPath, { force: true });
    }
  });
}

/** The hash stored in TEST_IMAGE_HASH_LABEL: of the reference, the import changes and the recipe's inputs. */
export function recipeHash(recipe: ImageRecipe): string {
  const h = createHash("sha256");
  // Length-prefix every part so that no two different input lists hash alike.
  for (const part of [recipe.ref, ...recipe.changes, ...recipe.hashInputs]) {
    const bytes = typeof part === "string" ? Buffer.from(part, "utf8") : part;
    h.update(`${bytes.length}:`);
    h.update(bytes);
  }
  return h.digest("hex");
}

/** The image of `recipe` if it exists with the current hash. */
async function currentImage(recipe: ImageRecipe, socketPath: string): Promise<TestImage | undefined> {
  const found = await inspectTestImage(recipe.ref, socketPath);
  if (found === undefined || found.hash !== recipeHash(recipe)) return undefined;
  return { ref: recipe.ref, id: found.id, built: false };
}

async function ensureImage(recipe: ImageRecipe, socketPath: string): Promise<TestImage> {
  const hash = recipeHash(recipe);
  const before = await inspectTestImage(recipe.ref, socketPath);
  if (before?.hash === hash) return { ref: recipe.ref, id: before.id, built: false };

  const rootfs = await recipe.rootfs();
  const [repo, tag] = splitRef(recipe.ref);
  await dockerJsonStream({
    method: "POST",
    path: "/images/create",
    query: {
      fromSrc: "-",
      repo,
      tag,
      message: "docker-cri test image",
      changes: [...recipe.changes, `LABEL ${TEST_IMAGE_LABEL}=true`, `LABEL ${TEST_IMAGE_HASH_LABEL}=${hash}`],
    },
    body: rootfs,
    socketPath,
  });

  const after = await inspectTestImage(recipe.ref, socketPath);
  if (after?.hash !== hash) {
    throw new Error(`Cannot build test image "${recipe.ref}": after import its ${TEST_IMAGE_HASH_LABEL} label is "${after?.hash ?? "missing"}", expected "${hash}"`);
  }
  if (before !== undefined && before.id !== after.id) await removeStaleImage(before.id, socketPath);
  return { ref: recipe.ref, id: after.id, built: true };
}

/**
 * The old image lost its tag to the new one. Drop it if nothing else names it (deleting an image by id
 * would also remove its remaining tags) and no container uses it.
 */
async function removeStaleImage(id: string, socketPath: string): Promise<void> {
  let body: unknown;
  try {
    body = await dockerJson({ method: "GET", path: `/images/${id}/json`, socketPath });
  } catch (err) {
    if (err instanceof DockerApiError && err.status === 404) return;
    throw err;
  }
  const tags = isRecord(body) ? body.RepoTags : undefined;
  if (Array.isArray(tags) && tags.length > 0) return;
  await deleteImage(id, socketPath, { force: false });
}

/** Deletes an image by reference or id; missing (404) and in use (409) are not errors. */
async function deleteImage(nameOrId: string, socketPath: string, query: { force: boolean }): Promise<void> {
  try {
    await dockerJson({ method: "DELETE", path: `/images/${nameOrId}`, query, socketPath });
  } catch (err) {
    if (!(err instanceof DockerApiError && (err.status === 404 || err.status === 409))) throw err;
  }
}

interface FoundImage {
  readonly ref: string;
  readonly id: string;
  readonly hash: string | undefined;
}

async function inspectTestImage(ref: string, socketPath: string): Promise<FoundImage | undefined> {
  let body: unknown;
  try {
    body = await dockerJson({ method: "GET", path: `/images/${ref}/json`, socketPath });
  } catch (err) {
    if (err instanceof DockerApiError && err.status === 404) return undefined;
    throw err;
  }
  if (!isRecord(body) || typeof body.Id !== "string") {
    throw new Error(`Cannot inspect test image "${ref}": unexpected answer from Docker`);
  }
  const config = body.Config;
  const labels = isRecord(config) && isRecord(config.Labels) ? config.Labels : {};
  const hash = labels[TEST_IMAGE_HASH_LABEL];
  return { ref, id: body.Id, hash: typeof hash === "string" ? hash : undefined };
}

function splitRef(ref: string): [repo: string, tag: string] {
  const colon = ref.lastIndexOf(":");
  if (colon <= ref.lastIndexOf("/")) return [ref, "latest"];
  return [ref.slice(0, colon), ref.slice(colon + 1)];
}
