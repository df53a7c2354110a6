import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DockerImage, ImagesApi } from "../../docker/index.js";
import { CriError, hasKind } from "../../errors/index.js";
import type { RemoveImageRequest, RemoveImageResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { ImageHandlerDeps } from "./image-deps.js";

/**
 * RemoveImage: removes the image the reference or id names, with every tag and digest it has (the
 * kubelet removes images, not names). Idempotent: an image already gone is success.
 *
 * Never forced: Docker's force would also delete an image a stopped container still uses, leaving
 * that container without its image. Instead, a plain delete by id removes an image named in one
 * repository outright; when Docker refuses, either a container uses the image (FailedPrecondition
 * naming it) or the image is named in several repositories, and untagging each name in turn removes
 * it with the last one.
 *
 * Every decision here is Docker's answer, never the image cache's (a removal whose event is on its
 * way must not be taken for "already gone"), and the cache is read again before the call answers,
 * whatever the outcome: the caller's next ImageStatus or ListImages shows what happened.
 */
export async function removeImage(deps: Pick<ImageHandlerDeps, "images" | "removals" | "state">, request: RemoveImageRequest, ctx: RpcContext): Promise<MessageInitShape<typeof RemoveImageResponseSchema>> {
  const spec = request.image?.image ?? "";
  if (spec === "") throw new CriError("InvalidArgument", 'RemoveImage needs an image: "image.image" is empty');
  let deleted: string | undefined;
  try {
    deleted = await removeFromDocker(deps, spec, ctx);
    return {};
  } finally {
    // The image Docker deleted is left out of answers at once. Otherwise (already gone, refused,
    // failed) memory is read again: another caller's removal may still be ahead of its own re-read.
    if (deleted !== undefined) deps.state.removed(deleted);
    else await deps.state.changed(ctx.signal).catch(() => undefined);
  }
}

/** Removes the image; its id when this call deleted it, undefined when it was already gone. */
async function removeFromDocker(deps: Pick<ImageHandlerDeps, "images" | "removals">, spec: string, ctx: RpcContext): Promise<string | undefined> {
  const { images } = deps;
  const found = await inspectOrGone(images, spec, ctx.signal);
  if (found === undefined) return undefined;
  // One removal per image at a time (by whatever name it is asked for): a caller that waited finds
  // the image gone and succeeds, as CRI asks of concurrent removals. One that did not wait acts on
  // the inspect it has: a removal by someone else meanwhile is caught below.
  const waited = deps.removals.isLocked(found.id);
  const unlock = await deps.removals.lock(found.id, ctx.signal);
  try {
    const img = waited ? await inspectOrGone(images, found.id, ctx.signal) : found;
    if (img === undefined) return undefined;
    try {
      await removeLocked(images, spec, img, ctx.signal);
    } catch (err) {
      // Another client (docker rmi, a second shim) removed it meanwhile: Docker 20.10 then answers
      // 500 "unrecognized image ID" rather than 404. Gone is what was asked for.
      if (!ctx.signal.aborted && !hasKind(err, "FailedPrecondition") && (await inspectOrGone(images, img.id, ctx.signal)) === undefined) return undefined;
      throw err;
    }
    ctx.log.info({ image: spec, imageId: img.id }, "Removed image");
    return img.id;
  } finally {
    unlock();
  }
}

async function inspectOrGone(images: Pick<ImagesApi, "inspect">, ref: string, signal: AbortSignal): Promise<DockerImage | undefined> {
  try {
    return await images.inspect(ref, signal);
  } catch (err) {
    if (hasKind(err, "NotFound")) return undefined;
    throw err;
  }
}

async function removeLocked(images: Pick<ImagesApi, "remove" | "containersUsing">, spec: string, img: DockerImage, signal: AbortSignal): Promise<void> {
  const conflict = await tryRemove(() => images.remove(img.id, signal));
  if (conflict === undefined) return;
  const users = await images.containersUsing(img.id, signal);
  if (users.length > 0) throw refused(spec, users, conflict);
  for (const name of [...img.repoTags, ...img.repoDigests, img.id]) {
    if (name.startsWith("<none>")) continue;
    // The last name's untag deletes the image, and the id finds nothing left. A conflict here is a
    // container created meanwhile, or an image built on this one.
    const late = await tryRemove(() => images.remove(name, signal));
    if (late !== undefined) throw refused(spec, await images.containersUsing(img.id, signal), late);
  }
}

/** Deletes; undefined when it went through or found nothing, Docker's refusal on a conflict. */
async function tryRemove(remove: () => Promise<unknown>): Promise<CriError | undefined> {
  try {
    await remove();
    return undefined;
  } catch (err) {
    if (hasKind(err, "NotFound")) return undefined;
    if (hasKind(err, "FailedPrecondition")) return err;
    throw err;
  }
}

function refused(spec: string, containers: readonly string[], conflict: CriError): CriError {
  if (containers.length === 0) {
    return new CriError("FailedPrecondition", `Cannot remove image "${spec}": ${conflict.message}`, { cause: conflict });
  }
  const shown = containers.slice(0, 3).map((id) => `"${id.slice(0, 12)}"`).join(", ");
  const more = containers.length > 3 ? ` and ${containers.length - 3} more` : "";
  const noun = containers.length === 1 ? "container" : "containers";
  return new CriError("FailedPrecondition", `Cannot remove image "${spec}": it is in use by ${noun} ${shown}${more}; remove the ${noun} first`, { cause: conflict });
}
