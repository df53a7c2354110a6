// Public surface of the ImageService family.
export { ImagePuller } from "./image-puller.js";
export type { ImagePullerOptions } from "./image-puller.js";
export type { ImageHandlerDeps } from "./image-deps.js";
export { parseImageReference, formatReference, withDefaultTag } from "./image-reference.js";
export type { ImageReference } from "./image-reference.js";
export { ImageCache, uncachedImageState } from "./image-cache.js";
export type { ImageCacheOptions, ImageState } from "./image-cache.js";
export { openImageEvents } from "./image-events.js";
