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
import { after, before, describe, it } from "node:test";
import { ImageService, RuntimeService } from "../../src/gen/index.js";
import { generateCases } from "./kit/fuzz-cases.js";
import { startFuzzFixture, type FuzzFixture } from "./kit/fuzz-fixture.js";
import { describeViolations, rssKiB, runFuzz, type FuzzReport } from "./kit/fuzz-runner.js";
import { bySize, chaosSeed, Rng } from "./kit/scale.js";

const caseCount = bySize(600, 10_000);
/**
 * Growth allowed over the run: the cases carry megabyte-sized strings and lists of 10,000 items, and
 * V8 keeps the heap it grew to for a while after a burst (no GC can be forced in the daemon). What a
 * leak would look like is growth proportional to the cases: 10,000 cases leaking even 10 KiB each
 * would add 100 MiB on top of this.
 */
const rssGrowthLimitKiB = 200 * 1024;

describe(`fuzzing every CRI method with ${caseCount} generated bad requests`, { timeout: bySize(180_000, 900_000) }, () => {
  let fx: FuzzFixture;
  let report: FuzzReport | undefined;
  const seed = chaosSeed();

  before(async () => {
    fx = await startFuzzFixture();
  });
  after(async () => {
    await fx.dispose();
  });

  it("answers each with a client-error status and a message, and keeps serving", async () => {
    const methods = [...RuntimeService.methods, ...ImageService.methods];
    assert.equal(methods.length, 43, "every CRI method is fuzzed");
    const cases = generateCases({ methods, baselines: fx.baselines, rng: new Rng(seed), count: caseCount });
    const covered = new Set(cases.map((c) => c.method.name));
    report = await runFuzz(fx, cases, { concurrency: 8 });
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
    const now = await rssKiB(fx.daemon.proc.pid ?? 0);
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
