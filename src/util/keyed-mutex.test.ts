import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CriError } from "../errors/index.js";
import { KeyedMutex } from "./keyed-mutex.js";

describe("KeyedMutex", () => {
  it("serializes work on one key in arrival order and frees the key afterwards", async () => {
    const m = new KeyedMutex();
    const order: string[] = [];
    const job = (name: string, ms: number) => m.run("pod", async () => {
      order.push(`${name}:start`);
      await sleep(ms);
      order.push(`${name}:end`);
    });
    await Promise.all([job("a", 30), job("b", 1), job("c", 1)]);
    assert.deepEqual(order, ["a:start", "a:end", "b:start", "b:end", "c:start", "c:end"]);
    assert.equal(m.isLocked("pod"), false);
  });

  it("lets different keys run at the same time", async () => {
    const m = new KeyedMutex();
    let inside = 0;
    let most = 0;
    await Promise.all(["x", "y", "z"].map((k) => m.run(k, async () => {
      inside++;
      most = Math.max(most, inside);
      await sleep(20);
      inside--;
    })));
    assert.equal(most, 3);
  });

  it("gives the lock back when the work throws", async () => {
    const m = new KeyedMutex();
    await assert.rejects(m.run("k", () => Promise.reject(new Error("boom"))), /boom/);
    assert.equal(m.isLocked("k"), false);
    assert.equal(await m.run("k", () => Promise.resolve(7)), 7);
  });

  it("a waiter whose signal aborts leaves the queue with the signal's reason", async () => {
    const m = new KeyedMutex();
    const unlock = await m.lock("k");
    const ac = new AbortController();
    const waiting = m.lock("k", ac.signal);
    const reason = new CriError("DeadlineExceeded", "deadline");
    ac.abort(reason);
    await assert.rejects(waiting, (err) => err === reason);
    unlock();
    assert.equal(m.isLocked("k"), false, "the aborted waiter must not hold the key");
    const again = await m.lock("k", AbortSignal.timeout(1000));
    again();
    again(); // a second call does nothing
    assert.equal(m.isLocked("k"), false);
  });
});
