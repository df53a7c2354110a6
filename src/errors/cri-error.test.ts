import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CriError, toCriError } from "./cri-error.js";

describe("toCriError", () => {
  it("passes a CriError through", () => {
    const e = new CriError("NotFound", 'Container "3f2a" not found');
    assert.equal(toCriError(e, "StartContainer"), e);
  });

  it("maps an abort to Canceled and a timeout to DeadlineExceeded, the cause kept", async () => {
    const aborted = new DOMException("This operation was aborted", "AbortError");
    assert.deepEqual([toCriError(aborted).kind, toCriError(aborted).message], ["Canceled", "Request was canceled"]);
    assert.equal(toCriError(aborted, "PullImage").message, "PullImage: request was canceled");
    const signal = AbortSignal.timeout(1);
    await new Promise((resolve) => { signal.addEventListener("abort", resolve, { once: true }); });
    const reason: unknown = signal.reason;
    const timedOut = toCriError(reason);
    assert.deepEqual([timedOut.kind, timedOut.message, timedOut.cause], ["DeadlineExceeded", "Request timed out", reason]);
    assert.equal(toCriError(reason, "PullImage").message, "PullImage: request timed out");
  });

  it("makes anything else Internal with its message", () => {
    const plain = new Error("EIO: i/o error");
    assert.deepEqual([toCriError(plain).kind, toCriError(plain, "Status").message, toCriError(plain).cause], ["Internal", "Status: EIO: i/o error", plain]);
    assert.equal(toCriError("plain text").message, "plain text");
  });
});
