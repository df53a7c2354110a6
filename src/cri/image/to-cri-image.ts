import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ImageSchema } from "../../gen/index.js";
import type { ImageNames } from "./image-names.js";
import type { ImageUser } from "./image-user.js";

/**
 * A Docker image as a CRI Image: the id Docker gives (classic store: the config digest; containerd
 * store: the manifest or index digest, which is also what a container's `Image` says), names as
 * imageNames reads them, and the size as `/images/json` reports it (see listedSize).
 */
export function toCriImage(img: { readonly id: string; readonly size: number }, names: ImageNames, user: ImageUser | undefined, pinned: boolean): MessageInitShape<typeof ImageSchema> {
  return {
    id: img.id,
    repoTags: names.repoTags,
    repoDigests: names.repoDigests,
    size: BigInt(Math.max(0, Math.trunc(img.size))),
    ...(user?.uid === undefined ? {} : { uid: { value: user.uid } }),
    username: user?.username ?? "",
    pinned,
  };
}
