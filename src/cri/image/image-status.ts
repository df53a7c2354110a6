import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DockerImage } from "../../docker/index.js";
import { CriError, hasKind } from "../../errors/index.js";
import type { ImageStatusRequest, ImageStatusResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { ImageHandlerDeps } from "./image-deps.js";
import { imageUser } from "./image-user.js";
import { toCriImage } from "./to-cri-image.js";
import { verboseImageInfo } from "./verbose-image-info.js";

/**
 * ImageStatus: the image by tag ("busybox", "docker.io/library/busybox:latest"), by digest
 * ("busybox@sha256:…"), by id ("sha256:…") or by id prefix; Docker's inspect resolves all of them
 * the way `docker image inspect` does. An image that is not there is an empty answer, not an error:
 * the kubelet pulls when `image` is unset.
 */
export async function imageStatus(deps: Pick<ImageHandlerDeps, "images" | "pinned" | "users">, request: ImageStatusRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ImageStatusResponseSchema>> {
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
  const image = toCriImage(img, user, deps.pinned.isPinned(img.repoTags, img.repoDigests));
  if (!request.verbose) return { image };
  const history = await deps.images.history(img.id, ctx.signal);
  return { image, info: verboseImageInfo(img, history) };
}
