import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DockerImage } from "../../docker/index.js";
import { CriError, hasKind } from "../../errors/index.js";
import type { ImageStatusRequest, ImageStatusResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { ImageHandlerDeps } from "./image-deps.js";
import { imageNames } from "./image-names.js";
import { imageUser } from "./image-user.js";
import { listedSize } from "./listed-size.js";
import { toCriImage } from "./to-cri-image.js";
import { verboseImageInfo } from "./verbose-image-info.js";

/**
 * ImageStatus: the image by tag ("busybox", "docker.io/library/busybox:latest"), by digest
 * ("busybox@sha256:…"), by id ("sha256:…") or by id prefix; Docker's inspect resolves all of them
 * the way `docker image inspect` does. An image that is not there is an empty answer, not an error:
 * the kubelet pulls when `image` is unset. Names and size read as ListImages reads them, on either
 * image store (imageNames, listedSize).
 */
export async function imageStatus(deps: Pick<ImageHandlerDeps, "images" | "pinned" | "users" | "engine">, request: ImageStatusRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ImageStatusResponseSchema>> {
  const spec = request.image?.image ?? "";
  if (spec === "") throw new CriError("InvalidArgument", 'ImageStatus needs an image: "image.image" is empty');
  let img: DockerImage;
  try {
    img = await deps.images.inspect(spec, ctx.signal);
  } catch (err) {
    if (hasKind(err, "NotFound")) return {};
    throw err;
  }
  const user = imageUser(img.config.user);
  deps.users.remember(img.id, user);
  const store = deps.engine().imageStore;
  const names = imageNames(img, store);
  const size = await listedSize(deps.images, img, store, ctx.signal);
  const image = toCriImage({ id: img.id, size }, names, user, deps.pinned.isPinned(names.repoTags, names.repoDigests));
  if (!request.verbose) return { image };
  const history = await deps.images.history(img.id, ctx.signal);
  return { image, info: verboseImageInfo(img, history) };
}
