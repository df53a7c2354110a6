import { statfs } from "node:fs/promises";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { errorMessage } from "../../errors/index.js";
import type { ImageFsInfoRequest, ImageFsInfoResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { ImageHandlerDeps } from "./image-deps.js";

/**
 * ImageFsInfo: the filesystem the images live on (imageFsRoot: Docker's root directory with the
 * classic store, containerd's root with the containerd store), which also holds the containers'
 * writable layers. The kubelet takes capacity and free space of that mount point from its own statfs
 * for its image GC and imagefs eviction, so the mount point is what matters most.
 *
 * - image_filesystems: used bytes are Docker's own account of layer bytes (`/system/df`
 *   LayersSize, each shared layer once), not the whole filesystem's usage. With the containerd store
 *   Docker counts every snapshot there, the containers' writable layers too, which are taken out
 *   again here (they are container_filesystems' bytes); Docker 28 adds the compressed content,
 *   Docker 26 does not. Docker keeps no inode count, so inodes_used is the filesystem's (statfs), as
 *   cri-dockerd reports.
 * - container_filesystems: the same mount point, with the sum of every container's writable layer;
 *   the kubelet sees one mount point for both and so treats the disk as not split.
 *
 * When docker-cri runs on another host than dockerd the root directory is not local: inodes are
 * then left unset.
 *
 * Docker's figures come from memory (DiskUsageCache): `/system/df` walks every container's
 * writable layer, so it is read again only when the last reading is older than 10 s or an image or
 * container change was reported after it, and then in the background while this call answers the
 * last reading (never one older than 30 s). The timestamp is when that reading was taken; inodes
 * are the filesystem's now.
 */
export async function imageFsInfo(deps: Pick<ImageHandlerDeps, "state" | "imageFsRoot" | "engine">, _request: ImageFsInfoRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ImageFsInfoResponseSchema>> {
  const root = await deps.imageFsRoot();
  const [reading, inodesUsed] = await Promise.all([deps.state.diskUsage(ctx.signal), usedInodes(root, ctx)]);
  const { usage } = reading;
  const timestamp = BigInt(Math.trunc(reading.timestampMs)) * 1_000_000n;
  const fsId = { mountpoint: root };
  const containerBytes = usage.containers.reduce((sum, c) => sum + BigInt(Math.trunc(c.sizeRw)), 0n);
  let imageBytes = BigInt(Math.trunc(usage.layersSize));
  if (deps.engine().imageStore === "containerd") imageBytes = imageBytes > containerBytes ? imageBytes - containerBytes : 0n;
  return {
    imageFilesystems: [{ timestamp, fsId, usedBytes: { value: imageBytes }, ...(inodesUsed === undefined ? {} : { inodesUsed: { value: inodesUsed } }) }],
    containerFilesystems: [{ timestamp, fsId, usedBytes: { value: containerBytes } }],
  };
}

async function usedInodes(dir: string, ctx: RpcContext): Promise<bigint | undefined> {
  try {
    const st = await statfs(dir, { bigint: true });
    return st.files >= st.ffree ? st.files - st.ffree : 0n;
  } catch (err) {
    ctx.log.debug({ dir, err: errorMessage(err) }, "Cannot statfs the image filesystem's root; leaving inodes unset");
    return undefined;
  }
}
