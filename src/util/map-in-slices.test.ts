import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mapInSlices } from "./map-in-slices.js";

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: stands for a synchronous cgroup read
  }
}

describe("mapInSlices", () => {
  it("keeps order and maps every item", async () => {
    assert.deepEqual(await mapInSlices([1, 2, 3, 4], (n) => n * 10, undefined, 0), [10, 20, 30, 40]);
    assert.deepEqual(await mapInSlices([], (n: number) => n), []);
  });

  it("lets a timer run between slices, which one synchronous map would hold back until the end", async () => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    let firedAtItem = -1;
    let current = 0;
    const timer = setTimeout(() => { firedAtItem = current; }, 0);
    await mapInSlices(items, (i) => { current = i; busy(1); return i; }, undefined, 2);
    clearTimeout(timer);
    assert.ok(firedAtItem >= 0 && firedAtItem < 10, `the timer fired during the map, at item ${firedAtItem} of 40`);
  });

  it("stops between slices once its signal is aborted", async () => {
    const ac = new AbortController();
    let mapped = 0;
    setTimeout(() => { ac.abort(new Error("client gone")); }, 0);
    await assert.rejects(mapInSlices(Array.from({ length: 1000 }, (_, i) => i), () => { mapped++; busy(0.1); }, ac.signal, 1), /client gone/);
    assert.ok(mapped < 1000, `stopped after ${mapped} items`);
  });
});
