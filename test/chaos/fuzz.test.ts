/**
 * Generated bad input over every CRI method (43 of RuntimeService and ImageService): cases derived
 * from the request schemas (test/chaos/kit/fuzz-cases.ts) plus wire damage and random bytes, sent
 * over the real socket to a docker-cri on the real dockerd. Every answer must be a gRPC status a bad
 * request may get (InvalidArgument, NotFound, FailedPrecondition, Unimplemented, … — never Internal
 * or Unknown, never a hang) with a message; the daemon keeps serving, its memory stays bounded, and
 * no Docker container is left that no successful call reported.
 *
 * `npm test` runs 600 cases; `npm run test:chaos` runs 10,000. A failure prints the seed:
 * DOCKER_CRI_CHAOS_SEED=<seed> replays the same cases.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { ImageService, RuntimeService } from "../../src/gen/index.js";
import { generateCases } from "./kit/fuzz-cases.js";
import { startFuzzFixture, type FuzzFixture } from "../kit/fuzz-fixture.js";
import { describeViolations, rssKiB, runFuzz, type FuzzReport } from "./kit/fuzz-runner.js";
import { inspectorUrl, openHeapProbe, type HeapProbe } from "./kit/heap-probe.js";
import { bySize, chaosSeed, Rng } from "./kit/scale.js";

const caseCount = bySize(600, 10_000);
/**
 * Growth of the live JS heap (after a full GC forced through the inspector) allowed over the run, after
 * a warm-up: the GetContainerEvents replay ring filling up (1,024 events for the sandboxes and
 * containers the cases create, each holding their labels and annotations, which the fuzzed requests
 * make of very different sizes: 6.0 and 8.4 MiB of growth in two full runs on the same machine) and
 * allocator noise. A leak of 1.5 KiB per case would exceed it at 10,000 cases. RSS is printed beside it: the cases carry megabyte-sized strings and
 * 10,000-item lists, and V8 keeps the heap it grew to for a while.
 */
const heapGrowthLimitKiB = bySize(6 * 1024, 14 * 1024);
/** RSS may grow by this much at most during the run (a sanity bound; the heap check is the precise one). */
const rssGrowthLimitKiB = 256 * 1024;

describe(`fuzzing every CRI method with ${caseCount} generated bad requests`, { timeout: bySize(180_000, 900_000) }, () => {
  let fx: FuzzFixture;
  let heap: HeapProbe;
  let report: FuzzReport | undefined;
  let heapBeforeKiB = 0;
  const seed = chaosSeed();

  before(async () => {
    // Streaming tokens (which hold their request until used or expired) live 2 s instead of 1 min, so
    // that what the Exec, Attach and PortForward cases left in the token cache is gone when memory is measured.
    fx = await startFuzzFixture({ inspect: true, env: { DOCKER_CRI_TEST_STREAMING_TOKEN_TTL_MS: "2000" } });
    const url = inspectorUrl(fx.daemon.stderr());
    assert.ok(url !== undefined, "the daemon's inspector is listening");
    heap = await openHeapProbe(url);
  });
  after(async () => {
    heap.close();
    await fx.dispose();
  });

  it("answers each with a client-error status and a message, and keeps serving", async () => {
    const methods = [...RuntimeService.methods, ...ImageService.methods];
    assert.equal(methods.length, 43, "every CRI method is fuzzed");
    const cases = generateCases({ methods, baselines: fx.baselines, rng: new Rng(seed), count: caseCount });
    // Warm-up with other cases of the same kinds: the first time a code path runs, V8 compiles it
    // onto the heap (about 5 MiB over every method), which is not what the memory check is after.
    await runFuzz(fx, generateCases({ methods, baselines: fx.baselines, rng: new Rng(seed + 1), count: bySize(600, 1000) }), { concurrency: 16 });
    heapBeforeKiB = Math.round((await heap.usedAfterGc()) / 1024);
    const covered = new Set(cases.map((c) => c.method.name));
    report = await runFuzz(fx, cases, { concurrency: 16 });
    const r = report;
    console.log(
      `fuzz: seed ${seed}, ${r.cases} cases in ${r.seconds.toFixed(1)} s over ${covered.size} methods; kinds ${JSON.stringify(r.byKind)}; ` +
        `codes ${JSON.stringify(r.byCode)}; ${r.created} sandboxes/containers created and removed; ` +
        `daemon RSS ${Math.round(r.rssKiB.before / 1024)} MiB before, ${Math.round(r.rssKiB.max / 1024)} MiB at most, ${Math.round(r.rssKiB.after / 1024)} MiB after`,
    );
    assert.deepEqual(r.violations, [], `seed ${seed}: answers a bad request must not get:\n${describeViolations(r.violations)}`);
    assert.equal(r.byCode.UNKNOWN, undefined);
    assert.ok(covered.size >= (caseCount >= 5000 ? 43 : 30), `cases reached ${covered.size} methods`);
    const version = await fx.cri.call(RuntimeService.method.version, {});
    assert.equal(version.runtimeName, "docker");
    assert.equal(fx.daemon.proc.exitCode, null, "the daemon is still running");
  });

  it("keeps its memory bounded", async () => {
    assert.ok(report !== undefined, "the fuzz run happened");
    // Expired tokens are dropped when the next one is handed out.
    await sleep(2_500);
    await fx.cri.call(RuntimeService.method.exec, { containerId: fx.containerId, cmd: ["true"], stdout: true });
    const heapAfterKiB = Math.round((await heap.usedAfterGc()) / 1024);
    const now = await rssKiB(fx.daemon.proc.pid ?? 0);
    console.log(`fuzz: live JS heap after GC ${heapBeforeKiB} KiB before the cases, ${heapAfterKiB} KiB after; RSS now ${Math.round(now / 1024)} MiB`);
    assert.ok(heapAfterKiB - heapBeforeKiB < heapGrowthLimitKiB, `the live heap grew by ${heapAfterKiB - heapBeforeKiB} KiB over ${report.cases} cases`);
    assert.ok(
      report.rssKiB.max - report.rssKiB.before < rssGrowthLimitKiB,
      `RSS grew from ${report.rssKiB.before} KiB to ${report.rssKiB.max} KiB (now ${now} KiB), more than ${rssGrowthLimitKiB} KiB`,
    );
  });

  it("leaves no container behind that no call reported", async () => {
    const leftover = (await fx.containersOfRun()).filter((id) => !fx.known.has(id));
    assert.deepEqual(leftover, [], `seed ${seed}: containers created by calls that did not report them`);
  });
});
