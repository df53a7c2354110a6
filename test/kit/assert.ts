/**
 * Assertions for CRI messages: assert.equal and deepEqual without type narrowing, so that optional
 * chains on CRI messages (`s.status?.state`) stay readable and need no cast before the comparison.
 */
import { strict as assert } from "node:assert";

export function same(actual: unknown, expected: unknown, message?: string): void {
  assert.equal(actual, expected, message);
}

export function sameDeep(actual: unknown, expected: unknown, message?: string): void {
  assert.deepEqual(actual, expected, message);
}
