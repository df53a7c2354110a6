/**
 * The state cache's ordering rule: a later observation of a container never loses to an earlier one,
 * whatever order Docker's answers come back in. An inspect that applies an event and a re-inspect of
 * a container docker-cri just changed (dirty) race; each answer is Docker's view at the moment its
 * inspect was made, and the test releases them in every order. Also: a dirty container whose
 * re-inspect does not answer in time is never listed as it was; the list comes from Docker instead.
 */
import { strict as assert } from "node:assert";
import type { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { ContainerInspect, ContainerSummary } from "../../src/docker/index.js";
import { CriError } from "../../src/errors/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { StateCache, summaryOf } from "../../src/state-cache/index.js";
import { partialInspect } from "../../src/state-cache/partial-inspect.js";
import { eventsOnlyTransport } from "../fakes/events-only-transport.js";
import { waitFor } from "../kit/wait-for.js";

const label = "io.kubernetes.docker.type";
const C = "c".repeat(64);
const SLOW = "5".repeat(64);
const OTHER = "0".repeat(64);

function make(id: string, status: string): ContainerInspect {
  const base = partialInspect({ id, names: [`/k8s_c_${id}`], image: "img", imageId: "sha256:1", created: 1, state: status, status: "", labels: { [label]: "container" } });
  return { ...base, state: { ...base.state, pid: status === "running" ? 1 : 0 } };
}

interface Held {
  readonly id: string;
  /** Docker's answer as of when the inspect was made. */
  readonly answer: ContainerInspect | undefined;
  release(): void;
}

/** A scripted Docker whose inspects, once `hold` is on, wait until the test releases them. */
class World {
  containers = new Map<string, ContainerInspect>();
  hold = false;
  /** Inspects that never answer (until aborted). */
  hanging = new Set<string>();
  held: Held[] = [];
  streams: PassThrough[] = [];
  lists = 0;

  readonly transport = eventsOnlyTransport(this.streams);

  readonly containersApi = {
    list: (): Promise<ContainerSummary[]> => {
      this.lists++;
      return Promise.resolve([...this.containers.values()].map(summaryOf));
    },
    inspect: async (id: string, signal?: AbortSignal): Promise<ContainerInspect> => {
      while (this.hanging.has(id)) {
        if (signal?.aborted === true) throw new CriError("DeadlineExceeded", "hung");
        await sleep(5);
      }
      const answer = this.containers.get(id);
      if (this.hold) await new Promise<void>((release) => this.held.push({ id, answer, release }));
      if (answer === undefined) throw new CriError("NotFound", `No such container: ${id}`);
      return answer;
    },
  };

  event(action: string, id: string): void {
    this.streams[this.streams.length - 1]?.write(`${JSON.stringify({ Type: "container", Action: action, Actor: { ID: id, Attributes: {} }, time: 1, timeNano: 1000000001 })}\n`);
  }
}

/** The fakes answer at once: a short wait, polled often. */
const soon = { timeoutMs: 3_000, intervalMs: 5 };

let keepAlive: NodeJS.Timeout | undefined;
before(() => { keepAlive = setInterval(() => undefined, 1000); });
after(() => { clearInterval(keepAlive); });

/**
 * A container is created (its event's inspect is made while it is still "created" and held), then
 * docker-cri starts it and reads it (the dirty re-inspect sees "running", also held). `order` says
 * which answer Docker gives first.
 */
async function race(order: "event-first" | "refresh-first"): Promise<{ cache: StateCache; world: World; read: ContainerInspect }> {
  const world = new World();
  const cache = new StateCache({ transport: world.transport, containers: world.containersApi, label, log: silentLogger(), inspectTimeoutMs: 2_000 });
  await cache.start();
  world.containers.set(C, make(C, "created"));
  world.hold = true;
  world.event("create", C);
  await waitFor("the event's inspect", () => world.held.length === 1, soon);
  // The container was known to nobody yet; a first read puts it in (as created) without waiting.
  world.hold = false;
  await cache.inspect(C, AbortSignal.timeout(1000));
  world.hold = true;
  world.containers.set(C, make(C, "running"));
  cache.markDirty(C);
  const reading = cache.inspect(C, AbortSignal.timeout(3000));
  await waitFor("the dirty re-inspect", () => world.held.length === 2, soon);
  const [early, late] = world.held;
  assert.ok(early !== undefined && late !== undefined);
  assert.equal(early.answer?.state.status, "created");
  assert.equal(late.answer?.state.status, "running");
  if (order === "event-first") {
    early.release();
    await sleep(20);
    late.release();
  } else {
    late.release();
    await sleep(20);
    early.release();
  }
  const read = await reading;
  world.hold = false;
  await sleep(50);
  return { cache, world, read };
}

describe("StateCache ordering", () => {
  for (const order of ["event-first", "refresh-first"] as const) {
    it(`a slow inspect made for an earlier event never overwrites a later re-inspect (${order})`, async () => {
      const { cache, world, read } = await race(order);
      assert.equal(read.state.status, "running", "the read after StartContainer");
      assert.equal(cache.peek(C)?.state.status, "running", "what the cache holds afterwards");
      const listed = await cache.all(AbortSignal.timeout(1000));
      assert.equal(listed.find((c) => c.id === C)?.state.status, "running");
      assert.equal(world.held.length, 2);
      await cache.stop();
    });
  }

  it("an event applied after a newer re-inspect keeps the newer entry, and a later event's inspect replaces it", async () => {
    const { cache, world } = await race("refresh-first");
    world.containers.set(C, make(C, "exited"));
    world.event("die", C);
    await waitFor("the die event", () => cache.peek(C)?.state.status === "exited", soon);
    await cache.stop();
  });

  it("a dirty container whose re-inspect does not answer in time makes the list come from Docker, not from the stale entry", async () => {
    const world = new World();
    world.containers.set(SLOW, make(SLOW, "created"));
    world.containers.set(OTHER, make(OTHER, "running"));
    const cache = new StateCache({ transport: world.transport, containers: world.containersApi, label, log: silentLogger(), inspectTimeoutMs: 100 });
    await cache.start();
    const listsBefore = world.lists;
    // docker-cri starts it; Docker holds its lock for a while, then answers.
    world.containers.set(SLOW, make(SLOW, "running"));
    cache.markDirty(SLOW);
    world.hanging.add(SLOW);
    setTimeout(() => world.hanging.delete(SLOW), 300);
    const listed = await cache.all(AbortSignal.timeout(5_000));
    assert.equal(world.lists, listsBefore + 1, "asked Docker for the list");
    assert.equal(listed.find((c) => c.id === SLOW)?.state.status, "running", "never the entry from before the start");
    await cache.stop();
  });
});
