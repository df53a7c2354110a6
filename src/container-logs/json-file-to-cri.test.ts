import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonFileToCri } from "./json-file-to-cri.js";

const t1 = "2024-05-01T10:00:00.1Z";
const t2 = "2024-05-01T10:00:00.2Z";
const t3 = "2024-05-01T10:00:00.3Z";

function json(log: string, stream: string, time: string): string {
  return `${JSON.stringify({ log, stream, time })}\n`;
}

describe("jsonFileToCri", () => {
  it("writes F for complete lines and P for partial ones, keeping Docker's time and stream", () => {
    const input = Buffer.from(json("hello\n", "stdout", t1) + json("part", "stderr", t2) + json("ial\n", "stderr", t3));
    const out = jsonFileToCri(input);
    assert.equal(out.text, `${t1} stdout F hello\n${t2} stderr P part\n${t3} stderr F ial\n`);
    assert.equal(out.consumed, input.length);
    assert.equal(out.skipped, 0);
  });

  it("leaves an unfinished last line for later and consumes nothing without a newline", () => {
    const done = json("a\n", "stdout", t1);
    const input = Buffer.from(done + json("b\n", "stdout", t2).slice(0, 10));
    const out = jsonFileToCri(input);
    assert.equal(out.consumed, Buffer.byteLength(done));
    assert.equal(out.text, `${t1} stdout F a\n`);
    assert.equal(jsonFileToCri(Buffer.from('{"log":"x')).consumed, 0);
  });

  it("keeps empty lines, carriage returns, unicode and escaped control characters", () => {
    const out = jsonFileToCri(Buffer.from(json("\n", "stdout", t1) + json("é ✓ \t\r\n", "stdout", t2) + json("<&>\u0001\n", "stdout", t3)));
    assert.equal(out.text, `${t1} stdout F \n${t2} stdout F é ✓ \t\r\n${t3} stdout F <&>\u0001\n`);
  });

  it("splits an entry with inner newlines into F lines", () => {
    assert.equal(jsonFileToCri(Buffer.from(json("a\nb\nc", "stdout", t1))).text, `${t1} stdout F a\n${t1} stdout F b\n${t1} stdout P c\n`);
  });

  it("skips and counts lines that are not json-file entries", () => {
    const input = Buffer.from(`garbage\n${json("x\n", "stdin", t1)}${json("y\n", "stdout", "yesterday")}{"log":1}\n\n${json("ok\n", "stdout", t2)}`);
    const out = jsonFileToCri(input);
    assert.equal(out.text, `${t2} stdout F ok\n`);
    assert.equal(out.skipped, 4);
    assert.equal(out.firstSkipped, "garbage");
  });

  it("drops entries up to skipThroughNs, then stops skipping at the first newer one", () => {
    const through = BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n + 200_000_000n; // t2
    const out = jsonFileToCri(Buffer.from(json("1\n", "stdout", t1) + json("2\n", "stdout", t2) + json("3\n", "stdout", t3) + json("late\n", "stderr", t1)), through);
    assert.equal(out.text, `${t3} stdout F 3\n${t1} stderr F late\n`, "an older entry after the first newer one is kept");
    assert.equal(out.deduplicated, 2);
    assert.equal(out.stillSkipping, false);
    assert.equal(jsonFileToCri(Buffer.from(json("1\n", "stdout", t1)), through).stillSkipping, true);
  });
});
