/**
 * ImageService latency with 50 images present: ListImages, ImageStatus and ImageFsInfo through
 * docker-cri against the Docker call a shim makes for them (`GET /images/json`,
 * `GET /images/{name}/json`, `GET /system/df`); docker-cri answers them from its image cache (see
 * src/cri/image/image-cache.ts), so the shim side is the CRI round trip alone. The 50
 * images are distinct (each a tiny import with its own content), so ListImages converts 50 entries
 * and fills its per-id user cache once, as on a real node; they carry the bench's run label and are
 * removed in teardown.
 *
 * PullImage of an image already present (what the kubelet's IfNotPresent policy does not send, but
 * Always does on every start) goes to a local registry (`docker-registry` on 127.0.0.1) against
 * `POST /images/create` read to its end plus the inspect that gives the id; RemoveImage of a tag
 * against inspect + `DELETE /images/{id}` (what cri-dockerd does), each iteration on a fresh image
 * made untimed beforehand.
 */
import { finished } from "node:stream/promises";
import { ImageService } from "../src/gen/index.js";
import { startRegistry, type LocalRegistry } from "../test/kit/registry.js";
import { buildUniqueImage, pushImage, removeRunImages } from "../test/kit/unique-image.js";
import type { BenchCase, BenchContext } from "./bench.js";

const imageCount = 50;

function repoOf(ctx: BenchContext): string {
  return `docker-cri-bench-${ctx.runId}`;
}

async function createImages(ctx: BenchContext): Promise<void> {
  // A few at a time: dockerd serialises much of an import anyway.
  for (let i = 0; i < imageCount; i += 5) {
    await Promise.all(
      Array.from({ length: Math.min(5, imageCount - i) }, (_, k) =>
        buildUniqueImage(`${repoOf(ctx)}/img-${i + k}:v1`, { runId: ctx.runId, bytes: 512, user: k % 2 === 0 ? "1000" : "nobody" }),
      ),
    );
  }
}

async function removeImages(ctx: BenchContext): Promise<void> {
  await removeRunImages(ctx.runId);
}

let registry: LocalRegistry | undefined;
/** The pushed image's "127.0.0.1:<port>/repo:tag". */
let pushed = "";
/** The image (by its one tag) the next RemoveImage iteration removes. */
let removable = "";
let removals = 0;

function pushedRef(): { fromImage: string; tag: string } {
  const colon = pushed.lastIndexOf(":");
  return { fromImage: pushed.slice(0, colon), tag: pushed.slice(colon + 1) };
}

export const cases: BenchCase[] = [
  {
    name: "ListImages",
    description: `CRI ListImages vs GET /images/json, ${imageCount} images present`,
    iterations: 100,
    setup: createImages,
    async shim({ cri }) {
      const r = await cri.call(ImageService.method.listImages, {});
      if (r.images.length < imageCount) throw new Error(`ListImages returned ${r.images.length} images`);
    },
    async direct({ docker }) {
      await docker.request({ operation: "list_images", method: "GET", path: "/images/json" });
    },
    teardown: removeImages,
  },
  {
    name: "ImageStatus",
    description: `CRI ImageStatus by tag vs GET /images/{name}/json, ${imageCount} images present`,
    iterations: 200,
    setup: createImages,
    async shim(ctx) {
      const r = await ctx.cri.call(ImageService.method.imageStatus, { image: { image: `${repoOf(ctx)}/img-7:v1` } });
      if (r.image === undefined) throw new Error("ImageStatus found no image");
    },
    async direct(ctx) {
      await ctx.docker.request({ operation: "inspect_image", method: "GET", path: `/images/${repoOf(ctx)}/img-7:v1/json` });
    },
    teardown: removeImages,
  },
  {
    name: "ImageFsInfo",
    description: `CRI ImageFsInfo vs GET /system/df (images and containers), ${imageCount} images present`,
    iterations: 100,
    setup: createImages,
    async shim({ cri }) {
      const r = await cri.call(ImageService.method.imageFsInfo, {});
      if (r.imageFilesystems.length !== 1) throw new Error(`ImageFsInfo returned ${r.imageFilesystems.length} image filesystems`);
    },
    async direct({ docker }) {
      // What ImageFsInfo needs of Docker (API 1.42+ reads `type`; older daemons size volumes and build cache too).
      await docker.request({ operation: "disk_usage", method: "GET", path: "/system/df", query: { type: ["image", "container"] } });
    },
    teardown: removeImages,
  },
  {
    name: "PullImage (present)",
    description: "CRI PullImage of an image already present, from a local registry, vs POST /images/create + inspect",
    iterations: 30,
    async setup(ctx) {
      registry = await startRegistry();
      pushed = `${registry.host}/${repoOf(ctx)}/pulled:v1`;
      await buildUniqueImage(pushed, { runId: ctx.runId, bytes: 4096 });
      await pushImage(pushed);
    },
    async shim({ cri }) {
      const r = await cri.call(ImageService.method.pullImage, { image: { image: pushed } }, { deadlineMs: 60_000 });
      if (!r.imageRef.startsWith("sha256:")) throw new Error(`PullImage answered ${r.imageRef}`);
    },
    async direct({ docker }) {
      const res = await docker.stream({ operation: "pull_image", method: "POST", path: "/images/create", query: pushedRef() });
      res.body.resume();
      await finished(res.body);
      await docker.request({ operation: "inspect_image", method: "GET", path: `/images/${pushed}/json` });
    },
    async teardown(ctx) {
      await removeImages(ctx);
      await registry?.stop();
      registry = undefined;
    },
  },
  {
    name: "RemoveImage",
    description: "CRI RemoveImage of an image by its one tag vs inspect + DELETE /images/{id}",
    iterations: 30,
    async prepare(ctx) {
      removable = `${repoOf(ctx)}/removed:t${removals++}`;
      await buildUniqueImage(removable, { runId: ctx.runId, bytes: 512 });
    },
    async shim({ cri }) {
      await cri.call(ImageService.method.removeImage, { image: { image: removable } });
    },
    async direct({ docker }) {
      const res = await docker.request({ operation: "inspect_image", method: "GET", path: `/images/${removable}/json` });
      const id: unknown = typeof res.body === "object" && res.body !== null ? Reflect.get(res.body, "Id") : undefined;
      if (typeof id !== "string") throw new Error("inspect gave no Id");
      await docker.request({ operation: "remove_image", method: "DELETE", path: `/images/${id}` });
    },
    teardown: removeImages,
  },
];
