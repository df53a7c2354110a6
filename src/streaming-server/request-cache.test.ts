import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CriError } from "../errors/index.js";
import { RequestCache } from "./request-cache.js";

describe("RequestCache", () => {
  it("hands out 8-character base64url tokens that work once", () => {
    const cache = new RequestCache<string>();
    const token = cache.insert("a");
    assert.match(token, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(cache.consume(token), "a");
    assert.equal(cache.consume(token), undefined);
    assert.equal(cache.consume("nonsense"), undefined);
  });

  it("expires tokens after the TTL and removes them on lookup", () => {
    let now = 1_000;
    const cache = new RequestCache<string>({ ttlMs: 60_000, now: () => now });
    const token = cache.insert("a");
    now += 59_999;
    const fresh = cache.insert("b");
    now += 1;
    assert.equal(cache.consume(token), undefined, "expired at exactly the TTL");
    assert.equal(cache.consume(fresh), "b");
  });

  it("refuses more than maxInFlight outstanding tokens with ResourceExhausted, until some expire", () => {
    let now = 0;
    const cache = new RequestCache<number>({ ttlMs: 100, maxInFlight: 3, now: () => now });
    cache.insert(1);
    cache.insert(2);
    now = 50;
    const third = cache.insert(3);
    assert.throws(() => cache.insert(4), (err) => err instanceof CriError && err.kind === "ResourceExhausted");
    assert.equal(cache.consume(third), 3);
    cache.insert(4);
    assert.throws(() => cache.insert(5), (err) => err instanceof CriError && err.kind === "ResourceExhausted");
    now = 100;
    cache.insert(5);
    assert.equal(cache.size, 2, "the two oldest expired and were collected on insert");
  });
});
