import { strict as assert } from "node:assert";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { CriError } from "../errors/index.js";
import { addonLoader, type NativeAddonSpec } from "./native-addon.js";

describe("addonLoader", () => {
  let dir: string;
  const spec = (...files: string[]): NativeAddonSpec => ({
    name: "probe",
    exportName: "probe",
    candidates: files.map((f) => pathToFileURL(join(dir, f))),
    notBuilt: "the probe addon is not built",
    cannotLoad: (path, reason) => `cannot load "${path}": ${reason}`,
  });
  const kindOf = (err: unknown): string => (err instanceof CriError ? `${err.kind}: ${err.message}` : `not a CriError: ${String(err)}`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "docker-cri-addon-"));
    // require() loads CommonJS the same way as a .node file, so plain modules stand in for the addon.
    await writeFile(join(dir, "good.cjs"), "exports.probe = (x) => x * 2;");
    await writeFile(join(dir, "empty.cjs"), "exports.other = 1;");
    await writeFile(join(dir, "broken.cjs"), "throw new Error('undefined symbol: probe_init');");
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loads the first candidate that exists, once, and binds its function", () => {
    let binds = 0;
    const load = addonLoader(spec("missing.cjs", "good.cjs"), (fn) => {
      binds++;
      return fn as (x: number) => number;
    });
    assert.equal(load()(21), 42);
    assert.equal(load()(1), 2);
    assert.equal(binds, 1, "bound once");
  });

  it("is Unavailable with the spec's words when nothing is built, on every call", () => {
    const load = addonLoader(spec("missing.cjs"), (fn) => fn);
    assert.throws(load, (err) => kindOf(err) === "Unavailable: the probe addon is not built");
    assert.throws(load, (err) => kindOf(err) === "Unavailable: the probe addon is not built");
  });

  it("is Internal when the addon lacks its function, Unavailable when it cannot load", () => {
    assert.throws(addonLoader(spec("empty.cjs"), (fn) => fn), (err) => kindOf(err) === `Internal: Invalid probe addon at "${join(dir, "empty.cjs")}": it exports no probe function`);
    assert.throws(addonLoader(spec("broken.cjs"), (fn) => fn), (err) => kindOf(err) === `Unavailable: cannot load "${join(dir, "broken.cjs")}": undefined symbol: probe_init`);
  });
});
