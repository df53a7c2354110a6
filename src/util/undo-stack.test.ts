import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { silentLogger } from "../logger/index.js";
import { UndoStack } from "./undo-stack.js";

describe("UndoStack", () => {
  it("unwinds in reverse order, keeps going past a failing step and counts failures", async () => {
    const undo = new UndoStack();
    const ran: string[] = [];
    undo.push("name", () => { ran.push("name"); return Promise.resolve(); });
    undo.push("container", () => { ran.push("container"); return Promise.reject(new Error("docker down")); });
    undo.push("checkpoint", () => { ran.push("checkpoint"); return Promise.resolve(); });
    assert.equal(await undo.unwind(silentLogger(), 1000), 1);
    assert.deepEqual(ran, ["checkpoint", "container", "name"]);
    assert.equal(undo.size, 0);
  });

  it("runs the steps under a fresh deadline of their own", async () => {
    const undo = new UndoStack();
    let seen: AbortSignal | undefined;
    undo.push("x", (signal) => { seen = signal; return Promise.resolve(); });
    await undo.unwind(silentLogger(), 5000);
    assert.ok(seen !== undefined && !seen.aborted);
  });

  it("forgets everything on commit", async () => {
    const undo = new UndoStack();
    let ran = false;
    undo.push("x", () => { ran = true; return Promise.resolve(); });
    undo.commit();
    assert.equal(await undo.unwind(silentLogger(), 1000), 0);
    assert.equal(ran, false);
  });
});
