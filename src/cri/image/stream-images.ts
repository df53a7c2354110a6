import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StreamImagesRequest, StreamImagesResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { ImageHandlerDeps } from "./image-deps.js";
import { collectImages } from "./list-images.js";

/** Images per message: keeps each well under gRPC's default 4 MiB limit however many tags they carry. */
const imagesPerMessage = 500;

/** StreamImages: ListImages' answer in bounded messages, for nodes with very many images. */
export async function* streamImages(deps: Pick<ImageHandlerDeps, "images" | "pinned" | "users" | "engine" | "state">, request: StreamImagesRequest, ctx: RpcContext): AsyncGenerator<MessageInitShape<typeof StreamImagesResponseSchema>> {
  const images = await collectImages(deps, request.filter?.image?.image ?? "", ctx.signal);
  for (let i = 0; i < images.length; i += imagesPerMessage) {
    yield { images: images.slice(i, i + imagesPerMessage) };
  }
}
