import type { MessageInitShape } from "@bufbuild/protobuf";
import { CriError } from "../../errors/index.js";
import type { PullImageRequest, PullImageResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { ImageHandlerDeps } from "./image-deps.js";

/**
 * PullImage: pulls with the request's credentials (never logged) and answers the image ref, which
 * is the image id (CRI v1.36: the Image.id of ImageStatus and ListImages and the containers'
 * image_id). `sandbox_config` is not used: Docker pulls for the whole node, not per pod runtime class.
 */
export async function pullImage(deps: Pick<ImageHandlerDeps, "puller">, request: PullImageRequest, ctx: RpcContext): Promise<MessageInitShape<typeof PullImageResponseSchema>> {
  const image = request.image?.image ?? "";
  if (image === "") throw new CriError("InvalidArgument", 'PullImage needs an image: "image.image" is empty');
  const imageRef = await deps.puller.pull(image, request.auth, ctx.signal, ctx.log);
  return { imageRef };
}
