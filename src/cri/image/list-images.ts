import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DockerImageSummary } from "../../docker/index.js";
import type { ImageSchema, ListImagesRequest, ListImagesResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { ImageHandlerDeps } from "./image-deps.js";
import { formatReference, tryParseImageReference } from "./image-reference.js";
import { toCriImage } from "./to-cri-image.js";

type ListDeps = Pick<ImageHandlerDeps, "images" | "pinned" | "users">;

/** ListImages: every image, or those matching `filter.image.image`. */
export async function listImages(deps: ListDeps, request: ListImagesRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ListImagesResponseSchema>> {
  return { images: await collectImages(deps, request.filter?.image?.image ?? "", ctx.signal) };
}

/**
 * The images matching `filter` as CRI Images, shared by ListImages and StreamImages.
 *
 * The filter is matched the way Docker matches `docker images <ref>`: a reference Docker can parse
 * ("busybox", "docker.io/library/busybox:latest", "busybox@sha256:…") is normalised, then handed to
 * Docker's `reference` filter in the familiar form that filter compares with (it would never match
 * "docker.io/library/…" itself); without a tag it matches every tag of the repository. An image id
 * or id prefix ("sha256:3f2a…") matches by id. Anything else goes to Docker's filter as written, so
 * its glob patterns ("busy*") work.
 */
export async function collectImages(deps: ListDeps, filter: string, signal: AbortSignal): Promise<MessageInitShape<typeof ImageSchema>[]> {
  let listed: DockerImageSummary[];
  const idPrefix = imageIdPrefix(filter);
  if (filter === "") {
    listed = await deps.images.list({}, signal);
  } else if (idPrefix !== undefined) {
    listed = (await deps.images.list({}, signal)).filter((img) => img.id.startsWith(idPrefix));
  } else {
    const ref = tryParseImageReference(filter);
    listed = await deps.images.list({ reference: [ref === undefined ? filter : formatReference(ref, "familiar")] }, signal);
  }
  const ids = listed.map((img) => img.id);
  const users = await deps.users.usersOf(ids, deps.images, signal);
  if (filter === "" || idPrefix !== undefined) deps.users.retain(ids);
  return listed.map((img) => toCriImage(img, users.get(img.id), deps.pinned.isPinned(img.repoTags, img.repoDigests)));
}

/** "sha256:<hex>" (full or a prefix) as the id prefix to match; undefined for anything else. */
function imageIdPrefix(filter: string): string | undefined {
  const m = /^sha256:([a-f0-9]{1,64})$/.exec(filter);
  return m === null ? undefined : filter;
}
