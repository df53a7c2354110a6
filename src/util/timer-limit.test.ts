import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clampTimerMs, maxTimerMs } from "./timer-limit.js";

describe("clampTimerMs", () => {
  it("holds delays Node would replace by 1 ms at the longest one it takes", () => {
    assert.equal(clampTimerMs(1500), 1500);
    assert.equal(clampTimerMs(Number(9223372036854775807n) * 1000), maxTimerMs);
    assert.equal(clampTimerMs(Number.POSITIVE_INFINITY), maxTimerMs);
    assert.equal(maxTimerMs, 2147483647);
  });
});
