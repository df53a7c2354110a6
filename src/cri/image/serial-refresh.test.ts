import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SerialRefresh } from "./serial-refresh.js";

/** A read the test finishes by hand. */
function manualReads(): { read: () => Promise<void>; finish: (err?: Error) => void; started: number; running: () => number } {
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let active = 0;
  let maxActive = 0;
  const r = {
    started: 0,
    read: () => {
      r.started++;
      active++;
      maxActive = Math.max(maxActive, active);
      return new Promise<void>((resolve, reject) => {
        pending.push({
          resolve: () => { active--; resolve(); },
          reject: (e) => { active--; reject(e); },
        });
      });
    },
    finish: (err?: Error) => {
      const next = pending.shift();
      assert.ok(next, "a read is running");
      if (err === undefined) next.resolve();
      else next.reject(err);
    },
    running: () => maxActive,
  };
  return r;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const never = new AbortController().signal;

describe("SerialRefresh", () => {
  it("covers the requests made during a read with one more read, never two at once", async () => {
    const reads = manualReads();
    const refresh = new SerialRefresh(reads.read, () => undefined);
    const first = refresh.request();
    assert.equal(reads.started, 1);
    const second = refresh.request();
    const third = refresh.request();
    assert.equal(reads.started, 1, "no read starts while one runs");
    const settled: string[] = [];
    void refresh.settled(first, never).then((ok) => settled.push(`first ${ok}`));
    void refresh.settled(third, never).then((ok) => settled.push(`third ${ok}`));
    reads.finish();
    await tick();
    assert.deepEqual(settled, ["first true"], "the running read covers only what was asked before it started");
    assert.equal(reads.started, 2, "one read for both later requests");
    assert.equal(refresh.current, false);
    reads.finish();
    await tick();
    assert.deepEqual(settled, ["first true", "third true"]);
    assert.equal(refresh.current, true);
    assert.equal(reads.running(), 1, "reads never overlap");
    assert.equal(await refresh.settled(second, never), true, "an old request is settled at once");
    assert.equal(reads.started, 2, "and starts nothing");
  });

  it("answers false to every waiting request when a read fails, and the next request reads again", async () => {
    const reads = manualReads();
    const errors: unknown[] = [];
    const refresh = new SerialRefresh(reads.read, (err) => errors.push(err));
    const a = refresh.settled(refresh.request(), never);
    const b = refresh.settled(refresh.request(), never);
    reads.finish(new Error("Docker is down"));
    assert.deepEqual([await a, await b], [false, false]);
    assert.equal(errors.length, 1);
    assert.equal(refresh.current, false);
    assert.equal(reads.started, 1, "no retry on its own");
    const c = refresh.settled(refresh.requested, never);
    assert.equal(reads.started, 2, "waiting for an unsettled request reads again");
    reads.finish();
    assert.equal(await c, true);
    assert.equal(refresh.current, true);
  });

  it("lets a waiter go when its signal fires while the read carries on", async () => {
    const reads = manualReads();
    const refresh = new SerialRefresh(reads.read, () => undefined);
    const ac = new AbortController();
    const waiting = refresh.settled(refresh.request(), ac.signal);
    ac.abort(new Error("caller gone"));
    await assert.rejects(waiting, /caller gone/);
    reads.finish();
    await tick();
    assert.equal(refresh.current, true);
  });
});
