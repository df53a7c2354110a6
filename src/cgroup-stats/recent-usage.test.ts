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
