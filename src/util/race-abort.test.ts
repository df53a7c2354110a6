import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CriError } from "../errors/index.js";
import { raceAbort } from "./race-abort.js";

describe("raceAbort", () => {
  it("resolves with the work when the signal stays quiet", async () => {
    assert.equal(await raceAbort(Promise.resolve(3), new AbortController().signal), 3);
  });

  it("rejects with the signal's reason while the work carries on", async () => {
    const ac = new AbortController();
    let finished = false;
    const work = sleep(30).then(() => { finished = true; return "done"; });
    const reason = new CriError("DeadlineExceeded", "too slow");
    setTimeout(() => { ac.abort(reason); }, 5);
    await assert.rejects(raceAbort(work, ac.signal), (err) => err === reason);
    assert.equal(finished, false);
    assert.equal(await work, "done");
  });

  it("passes the work's own failure through", async () => {
    await assert.rejects(raceAbort(Promise.reject(new Error("nope")), new AbortController().signal), /nope/);
  });
});
