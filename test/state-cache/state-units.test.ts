/** Pure parts of the state cache: Docker event lines, reconstructing missed changes, the CPU sampler. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { ContainerInspect } from "../../src/docker/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { parseDockerEvent, resyncChanges } from "../../src/state-cache/index.js";
import { partialInspect } from "../../src/state-cache/partial-inspect.js";
import { CpuSampler } from "../../src/cgroup-stats/index.js";

function container(id: string, state: { status: string; running: boolean; startedAt: string; finishedAt: string }): ContainerInspect {
  const base = partialInspect({ id, names: [`/n-${id}`], image: "img", imageId: "sha256:1", created: 1, state: state.status, status: "", labels: {} });
  return { ...base, state: { ...base.state, ...state } };
}

describe("parseDockerEvent", () => {
  it("keeps timeNano exact and ignores actions the cache does not follow", () => {
    const line = '{"status":"start","id":"abc","Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"name":"x"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789}';
    assert.deepEqual(parseDockerEvent(line), { action: "start", id: "abc", timeNano: 1700000000123456789n, attributes: { name: "x" } });
    assert.equal(parseDockerEvent('{"Type":"container","Action":"exec_start: sh","Actor":{"ID":"abc"}}'), undefined);
    assert.equal(parseDockerEvent('{"Type":"network","Action":"connect","Actor":{"ID":"n"}}'), undefined);
    assert.equal(parseDockerEvent("  "), undefined);
    assert.throws(() => parseDockerEvent("{not json"), /invalid JSON/);
  });
});

describe("resyncChanges", () => {
  it("reports what happened while the stream was down, in order", () => {
    const t0 = "2026-01-01T00:00:00.000000001Z";
    const t1 = "2026-01-01T00:00:01Z";
    const t2 = "2026-01-01T00:00:02Z";
    const before = [
      container("gone", { status: "running", running: true, startedAt: t0, finishedAt: "0001-01-01T00:00:00Z" }),
      container("died", { status: "running", running: true, startedAt: t0, finishedAt: "0001-01-01T00:00:00Z" }),
      container("bounced", { status: "exited", running: false, startedAt: t0, finishedAt: t0 }),
      container("same", { status: "running", running: true, startedAt: t0, finishedAt: "" }),
    ];
    const after = [
      container("died", { status: "exited", running: false, startedAt: t0, finishedAt: t1 }),
      container("bounced", { status: "exited", running: false, startedAt: t1, finishedAt: t2 }),
      container("same", { status: "running", running: true, startedAt: t0, finishedAt: "" }),
      container("new", { status: "running", running: true, startedAt: t1, finishedAt: "0001-01-01T00:00:00Z" }),
    ];
    const changes = resyncChanges(before, after, 5n).map((c) => `${c.action} ${c.id}`);
    assert.deepEqual(changes, ["die died", "start bounced", "die bounced", "create new", "start new", "destroy gone"]);
    assert.ok(resyncChanges(before, after, 5n).every((c) => c.replayed && c.timeNano === 5n));
  });
});

describe("CpuSampler", () => {
  it("reports the rate of the last window and forgets cgroups that are gone", async () => {
    let now = 0n;
    let usage = 0n;
    let targets = [{ key: "c", cgroup: "/docker/c" }];
    const sampler = new CpuSampler({ intervalMs: 1000, targets: () => targets, readUsage: () => usage, log: silentLogger(), now: () => now });
    await sampler.sampleNow();
    assert.equal(sampler.nanoCores("c"), undefined, "one sample is no rate");
    now += 2_000_000_000n;
    usage += 1_000_000_000n;
    await sampler.sampleNow();
    assert.equal(sampler.nanoCores("c"), 500_000_000n, "1 s of CPU in 2 s is half a core");
    now += 1_000_000_000n;
    usage = 10n;
    await sampler.sampleNow();
    assert.equal(sampler.nanoCores("c"), undefined, "a counter that went back (restart) starts over");
    targets = [];
    await sampler.sampleNow();
    assert.equal(sampler.nanoCores("c"), undefined);
  });

  it("reads in one batch when it can, and one by one when the batch fails", async () => {
    let now = 0n;
    let usage = 0n;
    const batches: string[][] = [];
    let single = 0;
    let failBatch = false;
    const sampler = new CpuSampler({
      intervalMs: 1000,
      targets: () => [{ key: "a", cgroup: "/a" }, { key: "b", cgroup: "/b" }, { key: "gone", cgroup: "/gone" }],
      readUsage: (cgroup) => { single++; return cgroup === "/gone" ? undefined : usage; },
      readUsageMany: (cgroups) => {
        batches.push([...cgroups]);
        return failBatch ? Promise.reject(new Error("no batch")) : Promise.resolve(new Map(cgroups.map((c) => [c, c === "/gone" ? undefined : usage])));
      },
      log: silentLogger(),
      now: () => now,
    });
    await sampler.sampleNow();
    now += 1_000_000_000n;
    usage += 250_000_000n;
    await sampler.sampleNow();
    assert.deepEqual(batches, [["/a", "/b", "/gone"], ["/a", "/b", "/gone"]]);
    assert.equal(single, 0, "no read one by one");
    assert.equal(sampler.nanoCores("a"), 250_000_000n);
    assert.equal(sampler.nanoCores("b"), 250_000_000n);
    assert.equal(sampler.nanoCores("gone"), undefined);
    failBatch = true;
    now += 1_000_000_000n;
    usage += 500_000_000n;
    await sampler.sampleNow();
    assert.equal(single, 3, "the failed batch's cgroups read one by one");
    assert.equal(sampler.nanoCores("a"), 500_000_000n);
  });
});
