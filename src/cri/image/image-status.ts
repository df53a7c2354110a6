import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DockerImage, ImageStore } from "../../docker/index.js";
import { CriError, hasKind } from "../../errors/index.js";
import type { ImageStatusRequest, ImageStatusResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { ImageHandlerDeps } from "./image-deps.js";
import { imageNames } from "./image-names.js";
import type { CachedImage } from "./image-snapshot.js";
import { imageUser } from "./image-user.js";
import { listedSize } from "./listed-size.js";
import { toCriImage } from "./to-cri-image.js";
import { verboseImageInfo } from "./verbose-image-info.js";

type StatusDeps = Pick<ImageHandlerDeps, "images" | "pinned" | "users" | "engine" | "state">;

/**
 * ImageStatus: the image by tag ("busybox", "docker.io/library/busybox:latest"), by digest
 * ("busybox@sha256:…"), by id ("sha256:…") or by id prefix; Docker's inspect resolves all of them
 * the way `docker image inspect` does. An image that is not there is an empty answer, not an error:
 * the kubelet pulls when `image` is unset. Names and size read as ListImages reads them, on either
 * image store (imageNames, listedSize).
 *
 * An image the image cache finds by its id or one of its names is answered from memory (the names
 * decide it as they decide Docker's lookup; see ImageSnapshot.find). Anything else, an id prefix or
 * an image memory does not have, is Docker's inspect: "not present" makes the kubelet pull, so it
 * is never said from memory.
 */
export async function imageStatus(deps: StatusDeps, request: ImageStatusRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ImageStatusResponseSchema>> {
  const spec = request.image?.image ?? "";
  if (spec === "") throw new CriError("InvalidArgument", 'ImageStatus needs an image: "image.image" is empty');
  const store = deps.engine().imageStore;
  const cached = (await deps.state.images(ctx.signal))?.find(spec, store);
  const found = cached === undefined ? await fromDocker(deps, spec, store, ctx.signal) : fromMemory(cached, store);
  if (found === undefined) return {};
  const { img, size } = found;
  const user = imageUser(img.config.user);
  const names = imageNames(img, store);
  const image = toCriImage({ id: img.id, size }, names, user, deps.pinned.isPinned(names.repoTags, names.repoDigests));
  if (!request.verbose) return { image };
  const history = await deps.images.history(img.id, ctx.signal);
  return { image, info: verboseImageInfo(img, history) };
}

/** The inspect, with the size `/images/json` gives (classic: inspect's own, see listedSize). */
function fromMemory(cached: CachedImage, store: ImageStore): { img: DockerImage; size: number } {
  return { img: cached.inspect, size: store === "classic" ? cached.inspect.size : cached.summary.size };
}

async function fromDocker(deps: StatusDeps, spec: string, store: ImageStore, signal: AbortSignal): Promise<{ img: DockerImage; size: number } | undefined> {
  let img: DockerImage;
  try {
    img = await deps.images.inspect(spec, signal);
  } catch (err) {
    if (hasKind(err, "NotFound")) return undefined;
    throw err;
  }
  deps.users.remember(img.id, imageUser(img.config.user));
  return { img, size: await listedSize(deps.images, img, store, signal) };
}
