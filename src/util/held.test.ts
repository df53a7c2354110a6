import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { silentLogger } from "../logger/index.js";
import { Held } from "./held.js";

describe("Held", () => {
  it("releases last acquired first, each with the grace period", async () => {
    const held = new Held();
    const calls: string[] = [];
    for (const what of ["docker", "streaming", "server"]) held.add(what, (graceMs) => { calls.push(`${what}:${graceMs}`); return Promise.resolve(); });
    await held.release(250, silentLogger());
    assert.deepEqual(calls, ["server:250", "streaming:250", "docker:250"]);
  });

  it("runs every release when one fails, then throws the first failure", async () => {
    const held = new Held();
    const calls: string[] = [];
    held.add("a", () => { calls.push("a"); return Promise.resolve(); });
    held.add("b", () => Promise.reject(new Error("b failed")));
    held.add("c", () => Promise.reject(new Error("c failed")));
    await assert.rejects(held.release(0, silentLogger()), /c failed/);
    assert.deepEqual(calls, ["a"]);
  });

  it("releases each resource once: a second release has nothing left", async () => {
    const held = new Held();
    let count = 0;
    held.add("x", () => { count++; return Promise.resolve(); });
    await held.release(0, silentLogger());
    await held.release(0, silentLogger());
    assert.equal(count, 1);
  });
});
