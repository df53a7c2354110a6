import type { ImageStore } from "../../docker/index.js";
import { tryParseImageReference } from "./image-reference.js";

/** An image's names as CRI reports them: tags ("repo:tag") and digests ("repo@sha256:…"), never mixed. */
export interface ImageNames {
  readonly repoTags: string[];
  readonly repoDigests: string[];
}

/** What Docker's list and inspect answers say about an image's names. */
export interface DockerImageNames {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
}

/**
 * One reading of Docker's RepoTags and RepoDigests for ListImages, ImageStatus and container
 * image refs, whichever endpoint and image store they came from.
 *
 * - Classic store: RepoTags and RepoDigests are what the reference store holds (digests only for
 *   repositories the image was pulled from or pushed to), the same in `/images/json` and
 *   `/images/{name}/json`. Only the "<none>" placeholders of old daemons are dropped.
 * - containerd store: every name is an image record in containerd whose target is the manifest (or
 *   index) digest, which is also the image id; Docker derives a digest `repo@<id>` from each record.
 *   Docker 26 and 28 disagree with themselves here: after a pull by digest the record
 *   `repo@sha256:…` is listed among RepoTags by `/images/json` (and by inspect on 28), and
 *   `/images/json` gives the digest of one record only (which one is Docker's map order) while
 *   inspect gives one per record, repeated on 26. The set both endpoints agree on is the records'
 *   names: tags are the names without a digest, digests are `repo@<id>` for the repository of every
 *   name, each once.
 *
 * Both lists are sorted, so that the two endpoints answer in the same order.
 */
export function imageNames(img: DockerImageNames, store: ImageStore): ImageNames {
  const tags = new Set<string>();
  const digests = new Set<string>();
  for (const name of img.repoTags) {
    if (name === "<none>:<none>" || name === "") continue;
    if (name.includes("@")) digests.add(name);
    else tags.add(name);
  }
  for (const name of img.repoDigests) {
    if (name === "<none>@<none>" || name === "") continue;
    digests.add(name);
  }
  if (store === "containerd" && img.id.startsWith("sha256:")) {
    for (const name of [...tags, ...digests]) {
      const repo = repositoryOf(name);
      if (repo !== undefined) digests.add(`${repo}@${img.id}`);
    }
    // Only digests of the id: any other would be a record pointing elsewhere, which Docker never lists here.
    for (const d of digests) if (!d.endsWith(`@${img.id}`)) digests.delete(d);
  }
  return { repoTags: [...tags].sort(), repoDigests: [...digests].sort() };
}

/**
 * The repository part of a familiar name as Docker prints it ("127.0.0.1:5000/x" of
 * "127.0.0.1:5000/x:v1", "busybox" of "busybox@sha256:…"), undefined when it does not parse.
 */
function repositoryOf(name: string): string | undefined {
  if (tryParseImageReference(name) === undefined) return undefined;
  const at = name.indexOf("@");
  const withoutDigest = at >= 0 ? name.slice(0, at) : name;
  // Keep Docker's familiar spelling: strip the tag from the text rather than re-rendering the name.
  const colon = withoutDigest.lastIndexOf(":");
  const repo = colon > withoutDigest.lastIndexOf("/") ? withoutDigest.slice(0, colon) : withoutDigest;
  return repo;
}
