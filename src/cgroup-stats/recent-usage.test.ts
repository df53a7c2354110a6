import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { CgroupUsage } from "./cgroup-stats.js";
import { RecentUsage } from "./recent-usage.js";

function usage(n: number): CgroupUsage {
  return { cpu: { usageNs: BigInt(n) }, memory: undefined, pids: undefined };
}

function fixture(windowMs: number) {
  let now = 1_000;
  const reads: string[] = [];
  let counter = 0;
  const recent = new RecentUsage({
    read: (cgroup) => { reads.push(cgroup); counter += 1; return cgroup === "gone" ? undefined : usage(counter); },
    windowMs,
    nowMs: () => now,
  });
  return { recent, reads, advance: (ms: number) => { now += ms; } };
}

describe("RecentUsage", () => {
  it("answers a second read within the window from the first, with the time it was taken", () => {
    const f = fixture(1_000);
    const first = f.recent.read("a");
    f.advance(400);
    const again = f.recent.read("a");
    assert.deepEqual(f.reads, ["a"]);
    assert.equal(again, first);
    assert.equal(again?.readAtNs, 1_000n * 1_000_000n);
    assert.deepEqual(again.cpu, { usageNs: 1n });
  });

  it("reads anew once the window has passed, and drops what it held", () => {
    const f = fixture(1_000);
    f.recent.read("a");
    f.recent.read("b");
    assert.equal(f.recent.size, 2);
    f.advance(1_000);
    const fresh = f.recent.read("a");
    assert.deepEqual(f.reads, ["a", "b", "a"]);
    assert.deepEqual(fresh?.cpu, { usageNs: 3n });
    assert.equal(fresh.readAtNs, 2_000n * 1_000_000n);
    assert.equal(f.recent.size, 1);
  });

  it("remembers a cgroup that is gone for the window too", () => {
    const f = fixture(1_000);
    assert.equal(f.recent.read("gone"), undefined);
    assert.equal(f.recent.read("gone"), undefined);
    assert.deepEqual(f.reads, ["gone"]);
  });

  it("with a window of 0 reads every time", () => {
    const f = fixture(0);
    f.recent.read("a");
    f.recent.read("a");
    assert.deepEqual(f.reads, ["a", "a"]);
  });

  it("drops its readings when the clock steps back", () => {
    const f = fixture(1_000);
    f.recent.read("a");
    f.advance(-5_000);
    f.recent.read("a");
    assert.deepEqual(f.reads, ["a", "a"]);
  });
});

describe("RecentUsage.prefetch", () => {
  function batched(windowMs: number) {
    let now = 1_000;
    const reads: string[] = [];
    const batches: string[][] = [];
    const release: (() => void)[] = [];
    let fail = false;
    const recent = new RecentUsage({
      read: (cgroup) => { reads.push(cgroup); return usage(100); },
      readMany: async (cgroups) => {
        batches.push([...cgroups]);
        await new Promise<void>((resolve) => release.push(resolve));
        if (fail) throw new Error("batch failed");
        return new Map(cgroups.map((c, i) => [c, c === "gone" ? undefined : usage(i + 1)]));
      },
      windowMs,
      nowMs: () => now,
    });
    const releaseAll = () => { for (const r of release.splice(0)) r(); };
    return { recent, reads, batches, releaseAll, advance: (ms: number) => { now += ms; }, failNext: () => { fail = true; } };
  }

  it("reads the missing cgroups in one batch, after which read answers from it with the batch's time", async () => {
    const f = batched(1_000);
    const done = f.recent.prefetch(["a", "b", "a", "gone"]);
    f.advance(3);
    f.releaseAll();
    await done;
    assert.deepEqual(f.batches, [["a", "b", "gone"]], "each cgroup once");
    assert.deepEqual(f.recent.read("a")?.cpu, { usageNs: 1n });
    assert.deepEqual(f.recent.read("b")?.cpu, { usageNs: 2n });
    assert.equal(f.recent.read("b")?.readAtNs, 1_003n * 1_000_000n, "the time the batch answered");
    assert.equal(f.recent.read("gone"), undefined, "gone for the window too");
    assert.deepEqual(f.reads, [], "no read of its own");
    await f.recent.prefetch(["a", "b"]);
    assert.equal(f.batches.length, 1, "already read in this window: no batch");
  });

  it("waits for a batch already reading a cgroup instead of reading it again", async () => {
    const f = batched(1_000);
    const first = f.recent.prefetch(["a", "b"]);
    const second = f.recent.prefetch(["b", "c"]);
    assert.deepEqual(f.batches, [["a", "b"], ["c"]], "b is not read twice");
    let secondDone = false;
    void second.then(() => { secondDone = true; });
    f.releaseAll();
    await Promise.all([first, second]);
    assert.equal(secondDone, true);
    assert.deepEqual(f.recent.read("b")?.cpu, { usageNs: 2n }, "b from the first batch");
    assert.deepEqual(f.recent.read("c")?.cpu, { usageNs: 1n });
    assert.deepEqual(f.reads, []);
  });

  it("leaves the reads to read when a batch fails, and reads anew in the next window", async () => {
    const f = batched(1_000);
    f.failNext();
    const done = f.recent.prefetch(["a"]);
    f.releaseAll();
    await done;
    assert.deepEqual(f.recent.read("a")?.cpu, { usageNs: 100n }, "read by read itself");
    assert.deepEqual(f.reads, ["a"]);
    f.advance(1_000);
    assert.equal(f.recent.size, 1);
    const again = f.recent.prefetch(["a"]);
    assert.equal(f.recent.size, 0, "the old window's readings are dropped");
    assert.deepEqual(f.batches, [["a"], ["a"]]);
    f.releaseAll();
    await again;
  });

  it("does nothing without readMany", async () => {
    const f = fixture(1_000);
    await f.recent.prefetch(["a"]);
    assert.deepEqual(f.reads, []);
    f.recent.read("a");
    assert.deepEqual(f.reads, ["a"]);
  });
});
