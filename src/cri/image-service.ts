import type { EngineFeatures, ImagesApi } from "../docker/index.js";
import { CriError, errorMessage } from "../errors/index.js";
import type { ImageService } from "../gen/index.js";
import type { ServiceImpl } from "./service-impl.js";
import type { ImageHandlerDeps } from "./image/image-deps.js";
import { imageFsInfo } from "./image/image-fs-info.js";
import { imageFsRoot } from "./image/image-fs-root.js";
import { uncachedImageState, type ImageState } from "./image/image-cache.js";
import type { ImagePuller } from "./image/image-puller.js";
import { imageStatus } from "./image/image-status.js";
import { ImageUserCache } from "./image/image-user-cache.js";
import { listImages } from "./image/list-images.js";
import { PinnedImages } from "./image/pinned-images.js";
import { pullImage } from "./image/pull-image.js";
import { removeImage } from "./image/remove-image.js";
import { streamImages } from "./image/stream-images.js";
import { KeyedMutex } from "../util/keyed-mutex.js";

/** Everything the ImageService RPCs need. */
export interface ImageServiceDeps {
  readonly images: ImagesApi;
  /** Shared with the pod sandbox RPCs (pause image), so that their pulls merge with PullImage's. */
  readonly puller: ImagePuller;
  /** --pod-infra-container-image: reported as pinned, so the kubelet's image GC keeps it. */
  readonly sandboxImage: string;
  /** Docker's root directory, read at start-up. */
  readonly dockerRootDir: string;
  /** What the engine can do now (image store, API version). */
  engine(): EngineFeatures;
  /** Images and disk usage kept in memory from Docker's events (ImageCache); without it every call asks Docker. */
  readonly state?: ImageState;
}

/** ImageService: RPCs not listed answer Unimplemented at the boundary. */
export function imageServiceImpl(deps: ImageServiceDeps): ServiceImpl<typeof ImageService> {
  // A new engine reading (dockerd restarted, maybe switched image store) looks for the root again.
  let root: { readonly engine: EngineFeatures; readonly dir: Promise<string> } | undefined;
  const d: ImageHandlerDeps = {
    images: deps.images,
    puller: deps.puller,
    pinned: sandboxPin(deps.sandboxImage),
    users: new ImageUserCache(),
    state: deps.state ?? uncachedImageState(deps.images),
    removals: new KeyedMutex(),
    dockerRootDir: deps.dockerRootDir,
    imageFsRoot: () => {
      const engine = deps.engine();
      if (root?.engine !== engine) root = { engine, dir: imageFsRoot(engine, deps.dockerRootDir) };
      return root.dir;
    },
    engine: () => deps.engine(),
  };
  return {
    listImages: (req, ctx) => listImages(d, req, ctx),
    streamImages: (req, ctx) => streamImages(d, req, ctx),
    imageStatus: (req, ctx) => imageStatus(d, req, ctx),
    pullImage: (req, ctx) => pullImage(d, req, ctx),
    removeImage: (req, ctx) => removeImage(d, req, ctx),
    imageFsInfo: (req, ctx) => imageFsInfo(d, req, ctx),
  };
}

/** The sandbox image must parse: every pod needs it, so a bad one fails start-up naming the flag. */
function sandboxPin(image: string): PinnedImages {
  try {
    return new PinnedImages([image]);
  } catch (err) {
    throw new CriError("InvalidArgument", `Invalid --pod-infra-container-image: ${errorMessage(err)}`, { cause: err });
  }
}
