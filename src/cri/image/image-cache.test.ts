import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DockerDiskUsage, DockerImage, DockerImageSummary } from "../../docker/index.js";
import { CriError } from "../../errors/index.js";
import { silentLogger } from "../../logger/index.js";
import { ImageCache } from "./image-cache.js";
import type { ImageEngineEvent } from "./image-events.js";

const idA = `sha256:${"a".repeat(64)}`;
const idB = `sha256:${"b".repeat(64)}`;

function inspectOf(id: string, tags: string[], user = ""): DockerImage {
  return {
    id, repoTags: tags, repoDigests: [], size: 100, created: "", author: "", architecture: "amd64", os: "linux",
    config: { user, env: [], entrypoint: [], cmd: [], workingDir: "", labels: {}, stopSignal: "", exposedPorts: [], volumes: [] },
    rootFs: { type: "layers", layers: [] },
  };
}

/** A Docker whose images the test changes, whose list calls it can hold, and whose calls it counts. */
class FakeDocker {
  readonly images = new Map<string, { tags: string[]; user: string }>();
  lists = 0;
  listCount(): number {
    return this.lists;
  }
  inspects: string[] = [];
  diskUsages = 0;
  layersSize = 1000;
  failing = false;
  #held: (() => void)[] | undefined;

  /** The next list calls wait until release(). */
  hold(): void {
    this.#held = [];
  }

  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const go of held) go();
  }

  readonly api = {
    list: async (_filters: unknown, _signal: AbortSignal): Promise<DockerImageSummary[]> => {
      this.lists++;
      // Docker's answer is what it had when asked, however late it arrives.
      const failing = this.failing;
      const answer = [...this.images].map(([id, img]) => ({ id, repoTags: [...img.tags], repoDigests: [], size: 100, labels: {} }));
      if (this.#held !== undefined) await new Promise<void>((resolve) => this.#held?.push(resolve));
      if (failing) throw new CriError("Unavailable", "Cannot connect to the Docker daemon");
      return answer;
    },
    inspect: (nameOrId: string, _signal: AbortSignal): Promise<DockerImage> => {
      this.inspects.push(nameOrId);
      const img = this.images.get(nameOrId);
      if (img === undefined) return Promise.reject(new CriError("NotFound", `No such image: ${nameOrId}`));
      return Promise.resolve(inspectOf(nameOrId, [...img.tags], img.user));
    },
    diskUsage: (_signal: AbortSignal): Promise<DockerDiskUsage> => {
      this.diskUsages++;
      return Promise.resolve({ layersSize: this.layersSize, containers: [] });
    },
  };
}

/** An event stream the test feeds; end() or fail() close it as Docker would. */
class FakeEvents {
  opened = 0;
  #queue: ImageEngineEvent[] = [];
  #wake: (() => void) | undefined;
  #closed: Error | "end" | undefined;

  /** Docker does not answer (dockerd down): open fails. */
  refusing = false;

  readonly open = (signal: AbortSignal): Promise<AsyncIterable<ImageEngineEvent>> => {
    if (this.refusing) return Promise.reject(new CriError("Unavailable", "Cannot connect to the Docker daemon"));
    this.opened++;
    this.#closed = undefined;
    this.#queue = [];
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the generator below reads the stream's state
    const self = this;
    signal.addEventListener("abort", () => { self.fail(new Error("aborted")); }, { once: true });
    return Promise.resolve((async function* stream() {
      for (;;) {
        const ev = self.#queue.shift();
        if (ev !== undefined) {
          yield ev;
          continue;
        }
        if (self.#closed === "end") return;
        if (self.#closed !== undefined) throw self.#closed;
        await new Promise<void>((resolve) => { self.#wake = resolve; });
      }
    })());
  };

  push(ev: ImageEngineEvent): void {
    this.#queue.push(ev);
    this.#wake?.();
  }

  fail(err: Error): void {
    this.#closed = err;
    this.#wake?.();
  }
}

const tick = async (n = 3): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};
const never = new AbortController().signal;

async function setup(opts: { now?: () => number } = {}): Promise<{ docker: FakeDocker; events: FakeEvents; cache: ImageCache }> {
  const docker = new FakeDocker();
  docker.images.set(idA, { tags: ["a:v1"], user: "1000" });
  const events = new FakeEvents();
  const cache = new ImageCache({ images: docker.api, openEvents: events.open, log: silentLogger(), reconnectMinMs: 1, reconnectMaxMs: 1, ...(opts.now === undefined ? {} : { now: opts.now }) });
  cache.start();
  await tick();
  return { docker, events, cache };
}

const tagsOf = async (cache: ImageCache, id: string): Promise<string[] | undefined> => (await cache.images(never))?.byId(id)?.inspect.repoTags;

describe("ImageCache", () => {
  it("answers from memory once synced: one list and one inspect per image, none for later reads", async () => {
    const { docker, cache } = await setup();
    assert.deepEqual(await tagsOf(cache, idA), ["a:v1"]);
    const before = { lists: docker.listCount(), inspects: docker.inspects.length };
    for (let i = 0; i < 5; i++) assert.equal((await cache.images(never))?.find("a:v1", "classic")?.summary.id, idA);
    assert.deepEqual({ lists: docker.listCount(), inspects: docker.inspects.length }, before, "no Docker call for reads");
    assert.deepEqual(before, { lists: 1, inspects: 1 });
    await cache.stop();
  });

  it("re-reads on an event, and a read made after the event waits for it", async () => {
    const { docker, events, cache } = await setup();
    await cache.images(never);
    docker.images.set(idB, { tags: ["b:v1"], user: "" });
    docker.hold();
    events.push({ type: "image", action: "import", id: idB });
    await tick();
    let answered: string[] | undefined;
    const read = tagsOf(cache, idB).then((t) => { answered = t ?? []; });
    await tick();
    assert.equal(answered, undefined, "the read waits for the event's re-read");
    docker.release();
    await read;
    assert.deepEqual(answered, ["b:v1"]);
    assert.deepEqual(docker.inspects, [idA, idB], "the unchanged image is not inspected again");
    await cache.stop();
  });

  it("reads again after an event that arrives during a read, so the older reading never wins", async () => {
    const { docker, events, cache } = await setup();
    await cache.images(never);
    docker.hold();
    events.push({ type: "image", action: "tag", id: idA });
    await tick();
    // A read is in flight with Docker's old answer; Docker changes and says so.
    docker.images.set(idA, { tags: ["a:v1", "a:v2"], user: "1000" });
    events.push({ type: "image", action: "tag", id: idA });
    await tick();
    const read = tagsOf(cache, idA);
    docker.release();
    assert.deepEqual(await read, ["a:v1", "a:v2"], "the call waited for the read after the second event");
    assert.equal(docker.listCount(), 3, "the first sync, the held read, one more");
    assert.deepEqual(await tagsOf(cache, idA), ["a:v1", "a:v2"]);
    await cache.stop();
  });

  it("makes a write of ours visible before changed() resolves, even with an event's read in flight", async () => {
    const { docker, events, cache } = await setup();
    await cache.images(never);
    docker.hold();
    events.push({ type: "container", action: "commit", id: "c1" });
    await tick();
    // Our RemoveImage went through in Docker while that read was held with the image still listed.
    docker.images.delete(idA);
    let done = false;
    const changed = cache.changed(never).then(() => { done = true; });
    docker.release();
    docker.hold();
    await tick();
    assert.equal(done, false, "the read that started before the write does not settle it");
    docker.release();
    await changed;
    assert.equal(await tagsOf(cache, idA), undefined, "gone once changed() resolved");
    await cache.stop();
  });

  it("leaves an image our removal deleted out of every answer at once, also while an older read is in flight, until a later read shows it gone", async () => {
    let t = 0;
    const { docker, cache } = await setup({ now: () => t });
    docker.images.set(idB, { tags: ["b:v1"], user: "" });
    await cache.changed(never);
    // Past the refresh period: this answer starts a background read, held here with A still listed.
    t = 11_000;
    docker.hold();
    await cache.images(never);
    await tick();
    const lists = docker.listCount();
    // Our RemoveImage deleted A in Docker meanwhile.
    docker.images.delete(idA);
    cache.removed(idA);
    const snap = await cache.images(never);
    assert.ok(snap !== undefined);
    assert.equal(snap.byId(idA), undefined, "hidden without waiting for a read");
    assert.equal(snap.find("a:v1", "classic"), undefined, "by name too");
    assert.deepEqual(snap.images.map((i) => i.summary.id), [idB]);
    docker.release();
    await tick(8);
    assert.ok(docker.listCount() > lists, "a read after the removal ran");
    assert.equal(await tagsOf(cache, idA), undefined, "the older read's answer listed A: still left out, and the later read shows it gone");
    assert.deepEqual(await tagsOf(cache, idB), ["b:v1"]);
    // Pulled again by us: back in answers once pulled() resolves.
    docker.images.set(idA, { tags: ["a:v1"], user: "1000" });
    await cache.pulled(inspectOf(idA, ["a:v1"]), never);
    assert.deepEqual(await tagsOf(cache, idA), ["a:v1"]);
    await cache.stop();
  });

  it("does not make answers wait for Docker's events about a removal of ours", async () => {
    const { docker, events, cache } = await setup();
    await cache.images(never);
    docker.images.delete(idA);
    cache.removed(idA);
    docker.hold();
    events.push({ type: "image", action: "untag", id: idA });
    events.push({ type: "image", action: "delete", id: idA });
    await tick();
    let answered = false;
    const answer = cache.images(never).then((snap) => { answered = true; return snap; });
    await tick();
    assert.equal(answered, true, "answered while the reads those events asked for are held");
    assert.equal((await answer)?.byId(idA), undefined);
    // Any other event is waited for.
    events.push({ type: "image", action: "tag", id: idB });
    await tick();
    answered = false;
    const later = cache.images(never).then(() => { answered = true; });
    await tick();
    assert.equal(answered, false, "an event we did not cause is waited for");
    docker.release();
    docker.release();
    await later;
    await cache.stop();
  });

  it("answers a pull of an image it holds under the same names without waiting for a read, and waits when the names changed", async () => {
    const { docker, cache } = await setup();
    await cache.images(never);
    const lists = docker.listCount();
    docker.hold();
    // Present with the same names: resolves though the read it requests is held.
    await cache.pulled(inspectOf(idA, ["a:v1"]), never);
    assert.deepEqual(await tagsOf(cache, idA), ["a:v1"]);
    docker.release();
    await tick();
    assert.equal(docker.listCount(), lists + 1, "one read requested in the background");
    // The pull added a tag: the answer must show it, so pulled() waits for a read.
    docker.images.set(idA, { tags: ["a:v1", "a:v2"], user: "1000" });
    docker.hold();
    let done = false;
    const pulled = cache.pulled(inspectOf(idA, ["a:v1", "a:v2"]), never).then(() => { done = true; });
    await tick();
    assert.equal(done, false, "waits for the read");
    docker.release();
    await pulled;
    assert.deepEqual(await tagsOf(cache, idA), ["a:v1", "a:v2"]);
    await cache.stop();
  });

  it("goes to Docker (undefined) while the stream is down and resyncs when it is back", async () => {
    const { docker, events, cache } = await setup();
    await cache.images(never);
    events.refusing = true;
    events.fail(new Error("dockerd stopped"));
    await tick();
    assert.equal(await cache.images(never), undefined, "no answer from memory without the stream");
    docker.images.set(idB, { tags: ["b:v1"], user: "" });
    events.refusing = false;
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(events.opened, 2, "reconnected");
    assert.deepEqual(await tagsOf(cache, idB), ["b:v1"], "what changed meanwhile is read on reconnect");
    assert.equal(docker.inspects.filter((id) => id === idA).length, 2, "every image inspected afresh: dockerd may be another release now");
    await cache.stop();
  });

  it("goes to Docker when a read fails, and reads again on the next call", async () => {
    const { docker, events, cache } = await setup();
    await cache.images(never);
    docker.failing = true;
    events.push({ type: "image", action: "delete", id: idA });
    await tick();
    assert.equal(await cache.images(never), undefined);
    assert.equal(cache.current, false);
    docker.failing = false;
    assert.ok(await cache.images(never), "the next call's read worked");
    assert.equal(cache.current, true);
    await cache.stop();
  });

  it("inspects again an image an event names, though its names look the same", async () => {
    const { docker, events, cache } = await setup();
    await cache.images(never);
    docker.images.set(idA, { tags: ["a:v1"], user: "2000" });
    events.push({ type: "image", action: "load", id: idA });
    await tick();
    assert.equal((await cache.images(never))?.byId(idA)?.inspect.config.user, "2000");
    assert.deepEqual(docker.inspects, [idA, idA]);
    await cache.stop();
  });

  it("answers a snapshot past the refresh period once more while it reads again, and waits past the maximum age", async () => {
    let now = 0;
    const { docker, cache } = await setup({ now: () => now });
    await cache.images(never);
    assert.equal(docker.listCount(), 1);
    now = 11_000;
    docker.hold();
    const stale = await cache.images(never);
    assert.ok(stale, "answered at once with the old snapshot");
    assert.equal(docker.listCount(), 2, "and a read started in the background");
    docker.release();
    await tick();
    now = 200_000;
    const lists = docker.listCount();
    assert.ok(await cache.images(never));
    assert.equal(docker.listCount(), lists + 1, "past the maximum age the call waited for a read");
    await cache.stop();
  });

  it("answers ImageFsInfo's disk usage from memory, re-reading in the background after a change", async () => {
    const { docker, events, cache } = await setup();
    assert.equal((await cache.diskUsage(never)).usage.layersSize, 1000, "the first call waits for a reading");
    assert.equal((await cache.diskUsage(never)).usage.layersSize, 1000);
    assert.equal(docker.diskUsages, 1, "the second came from memory");
    docker.layersSize = 2000;
    events.push({ type: "container", action: "destroy", id: "c1" });
    await tick();
    assert.equal((await cache.diskUsage(never)).usage.layersSize, 1000, "a dirty reading is answered once more");
    await tick();
    assert.equal(docker.diskUsages, 2, "while a new one is taken");
    assert.equal((await cache.diskUsage(never)).usage.layersSize, 2000);
    const answers = await Promise.all(Array.from({ length: 10 }, () => cache.diskUsage(never)));
    assert.ok(answers.every((a) => a.usage.layersSize === 2000));
    assert.equal(docker.diskUsages, 2, "concurrent calls on a clean reading ask nothing");
    events.refusing = true;
    events.fail(new Error("dockerd stopped"));
    await tick();
    await cache.diskUsage(never);
    assert.equal(docker.diskUsages, 3, "without the event stream each call reads Docker");
    await cache.stop();
  });
});
