/** The bounded event log behind GetContainerEvents: replay, fan-out, and cutting off a reader that lags. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { EventLog } from "./event-log.js";
import { CriError } from "../../errors/index.js";

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done === true) break;
    out.push(r.value);
  }
  return out;
}

describe("EventLog", () => {
  it("replays what it holds and then follows, for several readers at once", async () => {
    const log = new EventLog<number>(8);
    log.append(1);
    log.append(2);
    const ac = new AbortController();
    const a = log.read(log.oldest, ac.signal, "a")[Symbol.asyncIterator]();
    const b = log.read(log.oldest, ac.signal, "b")[Symbol.asyncIterator]();
    assert.deepEqual(await take(a, 2), [1, 2]);
    const pendingB = take(b, 3);
    log.append(3);
    assert.deepEqual(await take(a, 1), [3]);
    assert.deepEqual(await pendingB, [1, 2, 3]);
    ac.abort();
    assert.equal((await a.next()).done, true);
  });

  it("never waits for a slow reader, and tells one that fell out of the window that it missed events", async () => {
    const log = new EventLog<number>(4);
    const ac = new AbortController();
    const slow = log.read(0, ac.signal, "A slow subscriber")[Symbol.asyncIterator]();
    const fast = log.read(0, ac.signal, "fast")[Symbol.asyncIterator]();
    for (let i = 0; i < 10; i++) {
      log.append(i);
      // The fast reader keeps up; appending never blocks on the slow one.
      assert.deepEqual(await take(fast, 1), [i]);
    }
    await assert.rejects(slow.next(), (err: unknown) => err instanceof CriError && err.kind === "ResourceExhausted" && /fell 10 events behind/.test(err.message));
    ac.abort();
  });

  it("ends every reader when closed", async () => {
    const log = new EventLog<number>(4);
    const r = log.read(0, new AbortController().signal, "r")[Symbol.asyncIterator]();
    const next = r.next();
    log.close();
    assert.equal((await next).done, true);
  });

  it("starts a replay at the first event inside the window", () => {
    const log = new EventLog<number>(4);
    log.append(1);
    assert.equal(log.firstSince(Date.now() + 60_000), 1);
    assert.equal(log.firstSince(0), 0);
  });
});
