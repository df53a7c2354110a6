import { statfs } from "node:fs/promises";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { errorMessage } from "../../errors/index.js";
import type { ImageFsInfoRequest, ImageFsInfoResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import type { ImageHandlerDeps } from "./image-deps.js";

/**
 * ImageFsInfo: the filesystem holding Docker's root directory, which holds both the image layers
 * and the containers' writable layers.
 *
 * - image_filesystems: used bytes are Docker's own account of layer bytes (`/system/df`
 *   LayersSize, each shared layer once), not the whole filesystem's usage; Docker keeps no inode
 *   count, so inodes_used is the filesystem's (statfs), as cri-dockerd reports.
 * - container_filesystems: the same mount point, with the sum of every container's writable layer;
 *   the kubelet sees one mount point for both and so treats the disk as not split.
 *
 * The kubelet takes capacity and availability of the mount point from its own statfs. When docker-cri
 * runs on another host than dockerd the root directory is not local: inodes are then left unset.
 */
export async function imageFsInfo(deps: Pick<ImageHandlerDeps, "images" | "dockerRootDir">, _request: ImageFsInfoRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ImageFsInfoResponseSchema>> {
  const [usage, inodesUsed] = await Promise.all([deps.images.diskUsage(ctx.signal), usedInodes(deps.dockerRootDir, ctx)]);
  const timestamp = BigInt(Date.now()) * 1_000_000n;
  const fsId = { mountpoint: deps.dockerRootDir };
  const containerBytes = usage.containers.reduce((sum, c) => sum + BigInt(Math.trunc(c.sizeRw)), 0n);
  return {
    imageFilesystems: [
      { timestamp, fsId, usedBytes: { value: BigInt(Math.trunc(usage.layersSize)) }, ...(inodesUsed === undefined ? {} : { inodesUsed: { value: inodesUsed } }) },
    ],
    containerFilesystems: [{ timestamp, fsId, usedBytes: { value: containerBytes } }],
  };
}

async function usedInodes(dir: string, ctx: RpcContext): Promise<bigint | undefined> {
  try {
    const st = await statfs(dir, { bigint: true });
    return st.files >= st.ffree ? st.files - st.ffree : 0n;
  } catch (err) {
    ctx.log.debug({ dir, err: errorMessage(err) }, "Cannot statfs Docker's root directory; leaving inodes unset");
    return undefined;
  }
}
