import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CappedBuffer } from "./exec-sync.js";

describe("CappedBuffer", () => {
  it("keeps the first bytes up to its cap and counts the rest", () => {
    const b = new CappedBuffer(5);
    b.push(Buffer.from("abc"));
    b.push(Buffer.from("defg"));
    b.push(Buffer.from("h"));
    assert.equal(Buffer.from(b.bytes()).toString(), "abcde");
    assert.equal(b.dropped, 3);
  });

  it("shares a budget between two streams, first come first served", () => {
    const budget = { left: 6 };
    const out = new CappedBuffer(5, budget);
    const err = new CappedBuffer(5, budget);
    out.push(Buffer.from("1234"));
    err.push(Buffer.from("abcd"));
    out.push(Buffer.from("5"));
    assert.equal(Buffer.from(out.bytes()).toString(), "1234");
    assert.equal(Buffer.from(err.bytes()).toString(), "ab");
    assert.deepEqual([out.dropped, err.dropped, budget.left], [1, 2, 0]);
  });

  it("copies what it keeps, so a reused source buffer cannot change it", () => {
    const src = Buffer.from("xyz");
    const b = new CappedBuffer(10);
    b.push(src);
    src.write("QQQ");
    assert.equal(Buffer.from(b.bytes()).toString(), "xyz");
  });
});
