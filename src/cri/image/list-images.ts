import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DockerImage, ImageStore } from "../../docker/index.js";
import { CriError, hasKind } from "../../errors/index.js";
import type { ImageSchema, ListImagesRequest, ListImagesResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { ImageHandlerDeps } from "./image-deps.js";
import { imageNames, type ImageNames } from "./image-names.js";
import type { ImageSnapshot } from "./image-snapshot.js";
import { formatReference, sameReference, tryParseImageReference, type ImageReference } from "./image-reference.js";
import { imageUser, type ImageUser } from "./image-user.js";
import { listedSize } from "./listed-size.js";
import { patternSyntaxError } from "./reference-pattern.js";
import { toCriImage } from "./to-cri-image.js";

type ListDeps = Pick<ImageHandlerDeps, "images" | "pinned" | "users" | "engine" | "state">;

/** Inspections run at once for a filtered list, so a broad pattern does not flood dockerd. */
const parallelInspects = 8;

/** ListImages: every image, or those matching `filter.image.image`. */
export async function listImages(deps: ListDeps, request: ListImagesRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ListImagesResponseSchema>> {
  return { images: await collectImages(deps, request.filter?.image?.image ?? "", ctx.signal) };
}

interface Found {
  readonly id: string;
  readonly size: number;
  readonly names: ImageNames;
  readonly user?: ImageUser;
}

/**
 * The images of a snapshot matching the full list (""), an id prefix, or a digest one of them is
 * named by; undefined for a digest none has (Docker confirms that miss).
 */
function fromMemory(snap: ImageSnapshot, filter: string, idPrefix: string | undefined, store: ImageStore): Found[] | undefined {
  if (filter === "" || idPrefix !== undefined) {
    return snap.images
      .filter((img) => idPrefix === undefined || img.summary.id.startsWith(idPrefix))
      .map((img) => ({ id: img.summary.id, size: img.summary.size, names: imageNames(img.summary, store), user: imageUser(img.inspect.config.user) }));
  }
  const hit = snap.find(filter, store);
  if (hit === undefined) return undefined;
  const size = store === "classic" ? hit.inspect.size : hit.summary.size;
  return [{ id: hit.summary.id, size, names: imageNames(hit.inspect, store), user: imageUser(hit.inspect.config.user) }];
}

/**
 * The images matching `filter` as CRI Images, shared by ListImages and StreamImages.
 *
 * The filter is matched the way Docker matches `docker images <ref>`: a reference Docker can parse
 * ("busybox", "docker.io/library/busybox:latest") is normalised, then handed to Docker's `reference`
 * filter in the familiar form that filter compares with (it would never match "docker.io/library/…"
 * itself); without a tag it matches every tag of the repository. A reference with a digest
 * ("busybox@sha256:…") is the one image inspect finds by it, if that digest is one of its names:
 * the containerd store's filter only matches names of image records, and an image pulled by tag
 * has no record named by its digest. An image id or id prefix ("sha256:3f2a…") matches by id.
 * Anything else goes to Docker's filter as written, so its glob patterns ("busy*") work; a malformed
 * pattern ("busy[") is refused as InvalidArgument, as Docker would refuse it once it has any image.
 *
 * Names and size are the same as ImageStatus gives: Docker's filtered list keeps only the names
 * that matched, so the names of a filtered list come from inspecting each image.
 *
 * The full list, an id or id prefix and a digest the image cache knows are answered from memory
 * (Docker's list and inspects as of the last event, see ImageCache); a digest memory does not have
 * is asked of Docker, and so is a pattern, which is Docker's own matching.
 */
export async function collectImages(deps: ListDeps, filter: string, signal: AbortSignal): Promise<MessageInitShape<typeof ImageSchema>[]> {
  const store = deps.engine().imageStore;
  const idPrefix = imageIdPrefix(filter);
  const ref = filter === "" || idPrefix !== undefined ? undefined : tryParseImageReference(filter);
  let found: Found[] | undefined;
  if (filter === "" || idPrefix !== undefined || ref?.digest !== undefined) {
    const snap = await deps.state.images(signal);
    if (snap !== undefined) found = fromMemory(snap, filter, idPrefix, store);
  }
  if (found !== undefined) {
    const listed = found;
    return listed.map((img) => toCriImage(img, img.names, img.user, deps.pinned.isPinned(img.names.repoTags, img.names.repoDigests)));
  }
  if (filter === "" || idPrefix !== undefined) {
    const all = await deps.images.list({}, signal);
    if (filter === "") deps.users.retain(all.map((img) => img.id));
    found = all.filter((img) => idPrefix === undefined || img.id.startsWith(idPrefix)).map((img) => ({ id: img.id, size: img.size, names: imageNames(img, store) }));
  } else {
    if (ref?.digest !== undefined) {
      found = await byDigest(deps, ref, signal);
    } else {
      const bad = ref === undefined ? patternSyntaxError(filter) : undefined;
      if (bad !== undefined) throw new CriError("InvalidArgument", `Invalid image filter ${JSON.stringify(filter)}: it is neither an image reference nor a valid pattern (${bad})`);
      const listed = await deps.images.list({ reference: [ref === undefined ? filter : formatReference(ref, "familiar")] }, signal);
      const inspected = await inspectEach(deps, listed.map((img) => img.id), signal);
      found = listed.flatMap((img) => {
        const full = inspected.get(img.id);
        return full === undefined ? [] : [{ id: img.id, size: img.size, names: imageNames(full, store) }];
      });
    }
  }
  const users = await deps.users.usersOf(found.map((img) => img.id), deps.images, signal);
  return found.map((img) => toCriImage(img, img.names, users.get(img.id), deps.pinned.isPinned(img.names.repoTags, img.names.repoDigests)));
}

async function byDigest(deps: ListDeps, ref: ImageReference, signal: AbortSignal): Promise<Found[]> {
  let img: DockerImage;
  try {
    img = await deps.images.inspect(formatReference(ref), signal);
  } catch (err) {
    if (hasKind(err, "NotFound")) return [];
    throw err;
  }
  const store = deps.engine().imageStore;
  const names = imageNames(img, store);
  const named = names.repoDigests.some((d) => {
    const parsed = tryParseImageReference(d);
    return parsed !== undefined && sameReference(parsed, ref);
  });
  if (!named) return [];
  deps.users.remember(img.id, imageUser(img.config.user));
  return [{ id: img.id, size: await listedSize(deps.images, img, store, signal), names }];
}

/** Inspects each id (a few at a time); an image removed meanwhile is left out. */
async function inspectEach(deps: Pick<ListDeps, "images" | "users">, ids: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, DockerImage>> {
  const out = new Map<string, DockerImage>();
  for (let i = 0; i < ids.length; i += parallelInspects) {
    await Promise.all(
      ids.slice(i, i + parallelInspects).map(async (id) => {
        try {
          const img = await deps.images.inspect(id, signal);
          deps.users.remember(img.id, imageUser(img.config.user));
          out.set(id, img);
        } catch (err) {
          if (!hasKind(err, "NotFound")) throw err;
        }
      }),
    );
  }
  return out;
}

/** "sha256:<hex>" (full or a prefix) as the id prefix to match; undefined for anything else. */
function imageIdPrefix(filter: string): string | undefined {
  const m = /^sha256:([a-f0-9]{1,64})$/.exec(filter);
  return m === null ? undefined : filter;
}

