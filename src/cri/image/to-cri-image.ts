import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ImageSchema } from "../../gen/index.js";
import type { ImageUser } from "./image-user.js";

/** What Docker tells about an image in both the list and the inspect answers. */
export interface ImageFacts {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly size: number;
}

/**
 * A Docker image as a CRI Image. Docker before 1.13 listed untagged images with "<none>:<none>" and
 * "<none>@<none>"; those are no references and are dropped.
 */
export function toCriImage(img: ImageFacts, user: ImageUser | undefined, pinned: boolean): MessageInitShape<typeof ImageSchema> {
  return {
    id: img.id,
    repoTags: img.repoTags.filter((t) => t !== "<none>:<none>"),
    repoDigests: img.repoDigests.filter((d) => d !== "<none>@<none>"),
    size: BigInt(Math.max(0, Math.trunc(img.size))),
    ...(user?.uid === undefined ? {} : { uid: { value: user.uid } }),
    username: user?.username ?? "",
    pinned,
  };
}
