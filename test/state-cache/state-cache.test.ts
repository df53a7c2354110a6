/**
 * The state cache against a scripted Docker (the one thing a shared real dockerd cannot be made to
 * do here is restart): the event stream is a stream the test writes and ends, list and inspect
 * answer from an in-memory world. Covers the resync after a reconnect and a container whose inspect
 * hangs (Docker holds its lock).
 */
import { strict as assert } from "node:assert";
import type { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import type { ContainerInspect, ContainerSummary } from "../../src/docker/index.js";
import { CriError } from "../../src/errors/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { StateCache, summaryOf, type ContainerChange } from "../../src/state-cache/index.js";
import { partialInspect } from "../../src/state-cache/partial-inspect.js";
import { eventsOnlyTransport } from "../fakes/events-only-transport.js";
import { waitFor } from "../kit/wait-for.js";

const label = "io.kubernetes.docker.type";

function make(id: string, status: string): ContainerInspect {
  const base = partialInspect({ id, names: [`/k8s_c_${id}`], image: "img", imageId: "sha256:1", created: 1, state: status, status: "", labels: { [label]: "container" } });
  return { ...base, state: { ...base.state, pid: status === "running" ? 1 : 0, startedAt: status === "running" ? "2026-01-01T00:00:01Z" : "" } };
}

class World {
  containers = new Map<string, ContainerInspect>();
  hanging = new Set<string>();
  inspects = 0;
  streams: PassThrough[] = [];

  readonly transport = eventsOnlyTransport(this.streams);

  readonly containersApi = {
    list: (): Promise<ContainerSummary[]> => Promise.resolve([...this.containers.values()].map(summaryOf)),
    inspect: async (id: string, signal?: AbortSignal): Promise<ContainerInspect> => {
      this.inspects++;
      if (this.hanging.has(id)) {
        await new Promise((_resolve, reject) => signal?.addEventListener("abort", () => { reject(new CriError("DeadlineExceeded", "hung")); }, { once: true }));
      }
      const c = this.containers.get(id);
      if (c === undefined) throw new CriError("NotFound", `No such container: ${id}`);
      return c;
    },
  };

  event(action: string, id: string): void {
    const s = this.streams[this.streams.length - 1];
    s?.write(`${JSON.stringify({ Type: "container", Action: action, Actor: { ID: id, Attributes: {} }, time: 1, timeNano: 1000000001 })}\n`);
  }
}

/** The fakes answer at once: a short wait, polled often. */
const soon = { timeoutMs: 3_000, intervalMs: 10 };

// Docker calls are bounded by AbortSignal.timeout, whose timers do not keep a process alive; in the
// daemon the server does, here this interval stands in for it.
let keepAlive: NodeJS.Timeout | undefined;
before(() => { keepAlive = setInterval(() => undefined, 1000); });
after(() => { clearInterval(keepAlive); });

describe("StateCache", () => {
  it("applies events, and after the stream drops, resyncs and reports what it missed", async () => {
    const world = new World();
    world.containers.set("a", make("a", "created"));
    world.containers.set("keep", make("keep", "running"));
    const cache = new StateCache({ transport: world.transport, containers: world.containersApi, label, log: silentLogger(), inspectTimeoutMs: 200, reconnectMinMs: 20 });
    const changes: ContainerChange[] = [];
    cache.onChange((c) => changes.push(c));
    await cache.start();
    assert.equal(cache.synced, true);
    assert.equal(cache.peekAll().length, 2);

    world.containers.set("a", make("a", "running"));
    world.event("start", "a");
    await waitFor("the start change", () => changes.length === 1, soon);
    const [started] = changes;
    assert.ok(started !== undefined);
    assert.deepEqual([started.action, started.current?.state.status, started.previous?.state.status], ["start", "running", "created"]);
    const before = world.inspects;
    assert.equal((await cache.inspect("a", AbortSignal.timeout(1000))).state.status, "running");
    assert.equal(world.inspects, before, "a synced, clean entry costs no Docker call");

    // The daemon goes away: the stream ends. Meanwhile a is removed and b appears.
    world.streams[0]?.end();
    await waitFor("the cache to notice", () => !cache.synced, soon);
    world.containers.delete("a");
    world.containers.set("b", make("b", "running"));
    await waitFor("the reconnect", () => cache.synced && world.streams.length === 2, soon);
    assert.deepEqual(changes.slice(1).map((c) => `${c.action} ${c.id} ${c.replayed}`), ["create b true", "start b true", "destroy a true"]);
    assert.deepEqual(cache.peekAll().map((c) => c.id).sort(), ["b", "keep"]);
    await cache.stop();
  });

  it("lists a container whose inspect hangs from Docker's list, and asks Docker for its status", async () => {
    const world = new World();
    world.containers.set("ok", make("ok", "running"));
    world.containers.set("stuck", make("stuck", "running"));
    world.hanging.add("stuck");
    const cache = new StateCache({ transport: world.transport, containers: world.containersApi, label, log: silentLogger(), inspectTimeoutMs: 100, retryIntervalMs: 50 });
    await cache.start();
    assert.equal(cache.synced, true);
    const all = await cache.all(AbortSignal.timeout(1000));
    assert.deepEqual(all.map((c) => c.id).sort(), ["ok", "stuck"]);
    assert.equal(all.find((c) => c.id === "stuck")?.state.pid, 0, "partial: only what the list knows");
    // Once Docker answers again, the retry fills it in and reads are served from memory.
    world.hanging.delete("stuck");
    await waitFor("the retry", () => cache.peek("stuck")?.state.pid === 1, soon);
    const before = world.inspects;
    await cache.inspect("stuck", AbortSignal.timeout(1000));
    assert.equal(world.inspects, before);
    await cache.stop();
  });

  it("re-inspects a container docker-cri changed before answering for it", async () => {
    const world = new World();
    world.containers.set("c", make("c", "created"));
    const cache = new StateCache({ transport: world.transport, containers: world.containersApi, label, log: silentLogger(), inspectTimeoutMs: 200 });
    await cache.start();
    world.containers.set("c", make("c", "running"));
    cache.markDirty("c");
    assert.equal((await cache.inspect("c", AbortSignal.timeout(1000))).state.status, "running");
    world.containers.delete("c");
    cache.markDirty("c");
    assert.deepEqual(await cache.all(AbortSignal.timeout(1000)), [], "a container we removed leaves the list at once");
    await cache.stop();
  });
});
