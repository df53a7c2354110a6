import type { EngineFeatures, ImagesApi } from "../../docker/index.js";
import type { ImageState } from "./image-cache.js";
import type { ImagePuller } from "./image-puller.js";
import type { ImageUserCache } from "./image-user-cache.js";
import type { PinnedImages } from "./pinned-images.js";
import type { KeyedMutex } from "../../util/keyed-mutex.js";

/** What the ImageService handlers share; built once by imageServiceImpl. */
export interface ImageHandlerDeps {
  readonly images: ImagesApi;
  readonly puller: ImagePuller;
  readonly pinned: PinnedImages;
  readonly users: ImageUserCache;
  /** Docker's images and disk usage kept in memory from its events (ImageCache), or uncachedImageState. */
  readonly state: ImageState;
  /** Serializes RemoveImage per image id: Docker 20.10 does not, and the loser of a race got a 500. */
  readonly removals: KeyedMutex;
  /** Docker's root directory (`docker info` DockerRootDir). */
  readonly dockerRootDir: string;
  /** Where the images live (imageFsRoot), found once per engine reading: ImageFsInfo's mount point. */
  imageFsRoot(): Promise<string>;
  /** What the engine can do now: its image store decides how ids, digests and sizes read. */
  engine(): EngineFeatures;
}
