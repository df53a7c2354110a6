import type { ImageService } from "../gen/index.js";
import type { ServiceImpl } from "./service-impl.js";

/** Everything the ImageService RPCs need. */
export type ImageServiceDeps = Record<string, never>;

/** ImageService: RPCs not listed answer Unimplemented at the boundary. */
export function imageServiceImpl(_deps: ImageServiceDeps): ServiceImpl<typeof ImageService> {
  return {};
}
