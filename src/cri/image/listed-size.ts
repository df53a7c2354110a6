import type { DockerImage, ImageStore, ImagesApi } from "../../docker/index.js";

/**
 * The size of an inspected image as `GET /images/json` reports it, so that ImageStatus and
 * ListImages give one size for one image.
 *
 * Why the list's figure: the kubelet's image GC removes images until the bytes it wanted back are
 * freed, counting each removed image's `size`; the figure must be the disk the image takes.
 * - Classic store: both endpoints give the layers' unpacked size, the same number, so inspect's is
 *   taken and no list is asked for (the kubelet asks ImageStatus before every container start, and
 *   Docker's list walks every image even when filtered). The e2e test compares both on every engine.
 * - containerd store: the list gives the compressed content (manifest, config, layer blobs in
 *   containerd's content store) plus the unpacked snapshots, both of which a removal frees; inspect
 *   gives the snapshots only (for a 6.9 MB busybox list entry, inspect said 2.2 MB).
 * Docker has no id filter, so the list is asked by one of the image's names (a dangling image: the
 * dangling ones), and in full if that does not find it. An image removed meanwhile keeps inspect's figure.
 */
export async function listedSize(images: Pick<ImagesApi, "list">, img: Pick<DockerImage, "id" | "repoTags" | "repoDigests" | "size">, store: ImageStore, signal: AbortSignal): Promise<number> {
  if (store === "classic") return img.size;
  const name = img.repoTags.find((t) => !t.includes("@") && !t.startsWith("<none>")) ?? [...img.repoTags, ...img.repoDigests].find((n) => !n.startsWith("<none>"));
  const narrow = await images.list(name === undefined ? { dangling: true } : { reference: [name] }, signal);
  const hit = narrow.find((i) => i.id === img.id) ?? (await images.list({}, signal)).find((i) => i.id === img.id);
  return hit?.size ?? img.size;
}
