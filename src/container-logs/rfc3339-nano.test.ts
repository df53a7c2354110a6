import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isRfc3339Nano, rfc3339NanoToNs } from "./rfc3339-nano.js";

describe("rfc3339NanoToNs", () => {
  it("reads Go's RFC3339Nano with trimmed fractions, whole seconds and offsets", () => {
    assert.equal(rfc3339NanoToNs("1970-01-01T00:00:01.5Z"), 1_500_000_000n);
    assert.equal(rfc3339NanoToNs("1970-01-01T00:00:01Z"), 1_000_000_000n);
    assert.equal(rfc3339NanoToNs("2024-05-01T10:00:00.000000001Z"), BigInt(Date.UTC(2024, 4, 1, 10)) * 1_000_000n + 1n);
    assert.equal(rfc3339NanoToNs("1970-01-01T02:00:00.123456789+02:00"), 123_456_789n);
  });

  it("orders what string comparison gets wrong (a whole second sorts after its fractions as text)", () => {
    const whole = rfc3339NanoToNs("2024-05-01T10:00:01Z");
    const frac = rfc3339NanoToNs("2024-05-01T10:00:01.1Z");
    assert.ok(whole !== undefined && frac !== undefined && whole < frac);
    const texts = ["2024-05-01T10:00:01.1Z", "2024-05-01T10:00:01Z"];
    assert.deepEqual([...texts].sort(), texts, "the reason for parsing: as text the whole second sorts last");
  });

  it("refuses what the kubelet could not parse or what would break the CRI line", () => {
    for (const bad of ["", "2024-05-01 10:00:00Z", "2024-05-01T10:00:00.1234567890Z", "2024-05-01T10:00:00", "x2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z "]) {
      assert.equal(isRfc3339Nano(bad), false, bad);
      assert.equal(rfc3339NanoToNs(bad), undefined, bad);
    }
    assert.equal(rfc3339NanoToNs("2024-13-01T10:00:00Z"), undefined, "month 13");
  });
});
