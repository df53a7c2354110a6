/**
 * parseTap against what node's own TAP reporter writes for passing, failing, skipped, nested and
 * hook-cancelled tests (a real `node --test` run of a generated file, not a hand-written sample).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { parseTap, type TapSummary } from "./tap-summary.js";

const run = promisify(execFile);

const SAMPLE = `
import { describe, it, before } from "node:test";
import assert from "node:assert";
describe("suite # one", () => {
  it("passes", () => {});
  it("fails", () => { assert.equal(1, 2, "one isn't two"); });
  it("skips", { skip: "no reason" }, () => {});
  describe("inner", () => { it("multi", () => { throw new Error("first line\\nsecond line"); }); });
  it("differs", () => { assert.strictEqual("bridge", "default"); });
});
describe("broken hook", () => {
  before(() => { throw new Error("hook broke"); });
  it("never a", () => {});
  it("never b", () => {});
});
it("top-level todo", { todo: true }, () => { throw new Error("not yet"); });
`;

describe("parseTap", () => {
  let dir: string;
  let file: string;
  let summary: TapSummary;
  let broken: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "docker-cri-tap-"));
    file = join(dir, "sample.test.mjs");
    await writeFile(file, SAMPLE);
    broken = join(dir, "broken.test.mjs");
    await writeFile(broken, "const a = 1;\nconst a = 2;\n");
    const tap = join(dir, "out.tap");
    // Without NODE_TEST_CONTEXT: inherited from this test run, it makes the inner run report to us.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NODE_TEST_CONTEXT"));
    await run(process.execPath, ["--test", "--test-reporter=tap", `--test-reporter-destination=${tap}`, file, broken], { env }).catch(() => undefined);
    summary = parseTap(await readFile(tap, "utf8"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the closing counts", () => {
    assert.deepEqual(summary.counts, { tests: 9, pass: 1, fail: 4, cancelled: 2, skipped: 1, todo: 1 });
  });

  it("lists each failed test once, with its path and the first line of its error", () => {
    const rows = summary.failures.map((f) => [f.path.filter((p) => p !== file).join(" > ").replace(broken, "broken file"), f.error]);
    assert.deepEqual(rows, [
      // Files run in name order: broken.test.mjs first.
      ["broken file", "SyntaxError: Identifier 'a' has already been declared"],
      ["suite # one > fails", "one isn't two"],
      ["suite # one > inner > multi", "first line"],
      ["suite # one > differs", "Expected values to be strictly equal: actual 'bridge', expected 'default'"],
      ["broken hook", "hook broke (hook failed; 2 tests cancelled)"],
    ]);
  });

  it("has no counts for a run that ended early", () => {
    assert.equal(parseTap("TAP version 13\n# Subtest: x\n").counts, undefined);
  });
});
