import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dockerTimeToNanos, secondsToNanos } from "./docker-time.js";

describe("Docker timestamps", () => {
  it("keeps all nine fraction digits", () => {
    assert.equal(dockerTimeToNanos("2024-05-01T10:00:00.123456789Z"), 1714557600123456789n);
    assert.equal(dockerTimeToNanos("2024-05-01T10:00:00.5Z"), 1714557600500000000n);
    assert.equal(dockerTimeToNanos("2024-05-01T10:00:00Z"), 1714557600000000000n);
    assert.equal(dockerTimeToNanos("2024-05-01T12:00:00.000000001+02:00"), 1714557600000000001n);
  });

  it("reads Go's zero time and garbage as 0 (never)", () => {
    assert.equal(dockerTimeToNanos("0001-01-01T00:00:00Z"), 0n);
    assert.equal(dockerTimeToNanos(""), 0n);
    assert.equal(dockerTimeToNanos("yesterday"), 0n);
  });

  it("turns list seconds into nanoseconds", () => {
    assert.equal(secondsToNanos(1714557600), 1714557600000000000n);
  });
});
