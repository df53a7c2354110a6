/**
 * The image cache gives the answers Docker gives: on Docker's own answers recorded from 26.1 and
 * 28.5 with the containerd store and 28.5 with the classic one (test/fixtures/images/), ListImages
 * (full, by id prefix, by digest) and ImageStatus (by id and by each name) read from a snapshot equal
 * what the same handlers give asking Docker, and answer without a Docker call.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { recordedImageEngines, type RecordedImage as Recorded } from "../../../test/fixtures/images/recorded.js";
import type { ImagesApi } from "../../docker/index.js";
import { parseImage, parseImageSummary } from "../../docker/image-types.js";
import { create } from "@bufbuild/protobuf";
import { ImageStatusRequestSchema } from "../../gen/index.js";
import { silentLogger } from "../../logger/index.js";
import type { RpcContext } from "../context.js";
import { uncachedImageState, type ImageState } from "./image-cache.js";
import { imageNames } from "./image-names.js";
import { formatReference, tryParseImageReference, withDefaultTag } from "./image-reference.js";
import { ImageSnapshot } from "./image-snapshot.js";
import { imageStatus } from "./image-status.js";
import { ImageUserCache } from "./image-user-cache.js";
import { collectImages } from "./list-images.js";
import { PinnedImages } from "./pinned-images.js";


const fixtures = recordedImageEngines();

/** A Docker that has the one recorded image and counts what it is asked. */
function recordedDocker(rec: Recorded): { api: Pick<ImagesApi, "list" | "inspect" | "history" | "diskUsage">; calls: () => number } {
  let calls = 0;
  const summary = parseImageSummary(rec.list[0], "[0]");
  const inspect = parseImage(rec.inspect);
  // Docker's lookup, as far as these names go: the id with or without "sha256:", or any spelling of a name.
  const normal = (name: string): string => {
    const ref = tryParseImageReference(name);
    return ref === undefined ? name : formatReference(withDefaultTag(ref));
  };
  const names = new Set([summary.id, summary.id.slice("sha256:".length), ...[...inspect.repoTags, ...inspect.repoDigests].map(normal)]);
  return {
    api: {
      list: () => { calls++; return Promise.resolve([summary]); },
      inspect: (name) => { calls++; return names.has(normal(name)) || summary.id.startsWith(name) ? Promise.resolve(inspect) : Promise.reject(new Error(`unexpected inspect of ${name}`)); },
      history: () => { calls++; return Promise.resolve([]); },
      diskUsage: () => { calls++; return Promise.resolve({ layersSize: 0, containers: [] }); },
    },
    calls: () => calls,
  };
}

const ctx: RpcContext = { signal: new AbortController().signal, log: silentLogger(), requestId: "test", deadline: undefined };

describe("the image cache's answers on recorded Docker answers", () => {
  assert.ok(fixtures.length >= 3);
  for (const fx of fixtures) {
    for (const [scenario, rec] of Object.entries(fx.scenarios)) {
      it(`${fx.engine} (${fx.imageStore} store), ${scenario}: ListImages and ImageStatus from memory equal Docker's`, async () => {
        const docker = recordedDocker(rec);
        const summary = parseImageSummary(rec.list[0], "[0]");
        const inspect = parseImage(rec.inspect);
        const snap = new ImageSnapshot([{ summary, inspect }], 0);
        const cached: ImageState = { images: () => Promise.resolve(snap), changed: () => Promise.resolve(), removed: () => undefined, pulled: () => Promise.resolve(), diskUsage: () => Promise.reject(new Error("not used")) };
        const deps = (state: ImageState) => ({
          images: docker.api as ImagesApi, // the handlers call only list, inspect and history here
          pinned: new PinnedImages(["registry.k8s.io/pause:3.10"]),
          users: new ImageUserCache(),
          engine: () => ({ imageStore: fx.imageStore }) as ReturnType<Parameters<typeof collectImages>[0]["engine"]>, // only imageStore is read
          state,
        });
        const names = imageNames(inspect, fx.imageStore);
        const filters = ["", summary.id.slice(0, 20), ...names.repoDigests];
        const specs = [summary.id, summary.id.slice("sha256:".length), ...names.repoTags, ...names.repoDigests];
        for (const filter of filters) {
          const fromDocker = await collectImages(deps(uncachedImageState(docker.api)), filter, ctx.signal);
          const before = docker.calls();
          const fromMemory = await collectImages(deps(cached), filter, ctx.signal);
          assert.equal(docker.calls(), before, `ListImages "${filter}" asked Docker nothing`);
          assert.deepEqual(fromMemory, fromDocker, `ListImages "${filter}"`);
          assert.equal(fromMemory.length, 1);
        }
        for (const spec of specs) {
          const request = create(ImageStatusRequestSchema, { image: { image: spec } });
          const fromDocker = await imageStatus(deps(uncachedImageState(docker.api)), request, ctx);
          const before = docker.calls();
          const fromMemory = await imageStatus(deps(cached), request, ctx);
          assert.equal(docker.calls(), before, `ImageStatus "${spec}" asked Docker nothing`);
          assert.deepEqual(fromMemory, fromDocker, `ImageStatus "${spec}"`);
          assert.equal(fromMemory.image?.id, summary.id);
        }
      });
    }
  }
});
