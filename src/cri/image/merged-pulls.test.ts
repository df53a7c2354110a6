import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CriError, hasKind } from "../../errors/index.js";
import { SharedOperations } from "./merged-pulls.js";

/** An operation the test finishes by hand, recording whether it was aborted. */
function deferred(): { start: (signal: AbortSignal) => Promise<string>; resolve: (v: string) => void; reject: (e: Error) => void; starts: number; aborted: () => boolean } {
  let resolve: (v: string) => void = () => undefined;
  let reject: (e: Error) => void = () => undefined;
  let signal: AbortSignal | undefined;
  const d = {
    starts: 0,
    start: (s: AbortSignal) => {
      d.starts++;
      signal = s;
      return new Promise<string>((res, rej) => {
        resolve = res;
        reject = rej;
        s.addEventListener("abort", () => { rej(s.reason instanceof Error ? s.reason : new Error("aborted")); });
      });
    },
    resolve: (v: string) => { resolve(v); },
    reject: (e: Error) => { reject(e); },
    aborted: () => signal?.aborted === true,
  };
  return d;
}

describe("SharedOperations", () => {
  it("runs concurrent calls with one key once and gives all the same result", async () => {
    const ops = new SharedOperations<string>();
    const d = deferred();
    const a = ops.run("k", new AbortController().signal, d.start);
    const b = ops.run("k", new AbortController().signal, d.start);
    assert.equal(ops.size, 1);
    await Promise.resolve();
    d.resolve("ref");
    assert.deepEqual(await Promise.all([a, b]), ["ref", "ref"]);
    assert.equal(d.starts, 1);
    assert.equal(ops.size, 0, "a finished operation is forgotten");
  });

  it("keeps different keys apart", async () => {
    const ops = new SharedOperations<string>();
    const d1 = deferred();
    const d2 = deferred();
    const a = ops.run("k1", new AbortController().signal, d1.start);
    const b = ops.run("k2", new AbortController().signal, d2.start);
    await Promise.resolve();
    d1.resolve("one");
    d2.resolve("two");
    assert.deepEqual(await Promise.all([a, b]), ["one", "two"]);
  });

  it("shares a failure with every waiter", async () => {
    const ops = new SharedOperations<string>();
    const d = deferred();
    const a = ops.run("k", new AbortController().signal, d.start);
    const b = ops.run("k", new AbortController().signal, d.start);
    await Promise.resolve();
    d.reject(new CriError("NotFound", "no such tag"));
    await assert.rejects(a, (e: unknown) => hasKind(e, "NotFound"));
    await assert.rejects(b, (e: unknown) => hasKind(e, "NotFound"));
  });

  it("lets a cancelled caller go without cancelling the operation another caller waits for", async () => {
    const ops = new SharedOperations<string>();
    const d = deferred();
    const first = new AbortController();
    const a = ops.run("k", first.signal, d.start);
    const b = ops.run("k", new AbortController().signal, d.start);
    await Promise.resolve();
    first.abort(new CriError("Canceled", "PullImage was canceled by the client"));
    await assert.rejects(a, (e: unknown) => hasKind(e, "Canceled"));
    assert.equal(d.aborted(), false, "the shared operation goes on");
    d.resolve("ref");
    assert.equal(await b, "ref");
  });

  it("aborts the operation when the last caller goes, and starts afresh afterwards", async () => {
    const ops = new SharedOperations<string>();
    const d = deferred();
    const c1 = new AbortController();
    const c2 = new AbortController();
    const a = ops.run("k", c1.signal, d.start);
    const b = ops.run("k", c2.signal, d.start);
    await Promise.resolve();
    c1.abort(new CriError("Canceled", "one"));
    c2.abort(new CriError("DeadlineExceeded", "two"));
    await assert.rejects(a, (e: unknown) => hasKind(e, "Canceled"));
    await assert.rejects(b, (e: unknown) => hasKind(e, "DeadlineExceeded"));
    assert.equal(d.aborted(), true);
    assert.equal(ops.size, 0);
    const d2 = deferred();
    const c = ops.run("k", new AbortController().signal, d2.start);
    await Promise.resolve();
    d2.resolve("again");
    assert.equal(await c, "again");
    assert.equal(d2.starts, 1);
  });

  it("rejects at once for an already aborted signal, starting nothing", async () => {
    const ops = new SharedOperations<string>();
    const d = deferred();
    const c = new AbortController();
    c.abort(new CriError("Canceled", "gone"));
    await assert.rejects(ops.run("k", c.signal, d.start), (e: unknown) => hasKind(e, "Canceled"));
    assert.equal(d.starts, 0);
  });

  it("turns a synchronous throw of the operation into a rejection", async () => {
    const ops = new SharedOperations<string>();
    await assert.rejects(ops.run("k", new AbortController().signal, () => { throw new CriError("Internal", "boom"); }), /boom/);
    assert.equal(ops.size, 0);
  });
});
