/** Times as tests compare them with CRI's nanoseconds. */
import { strict as assert } from "node:assert";

/** RFC 3339 with up to nine fraction digits, in nanoseconds (written independently of src/). */
export function nanosOf(text: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(text);
  assert.ok(m !== null, `not a UTC timestamp: ${text}`);
  return BigInt(Date.parse(`${m[1] ?? ""}Z`)) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}
