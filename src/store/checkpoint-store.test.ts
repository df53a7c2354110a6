import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Writable } from "node:stream";
import { createLogger } from "../logger/index.js";
import { CheckpointStore } from "./checkpoint-store.js";
import type { SandboxCheckpoint } from "./sandbox-checkpoint.js";

const id1 = "a".repeat(64);
const id2 = "ab".repeat(32);
const cp: Omit<SandboxCheckpoint, "legacy"> = {
  name: "p", namespace: "n", uid: "u", attempt: 0, hostNetwork: true, portMappings: [], labels: {}, createdAt: 5n, networkPlugin: "", podIps: [], runtimeHandler: "",
};

function capturingLogger(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString("utf8")); done(); } });
  return { log: createLogger("debug", stream), lines };
}

describe("CheckpointStore", () => {
  let dir: string;
  let store: CheckpointStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "docker-cri-checkpoints-"));
    store = new CheckpointStore(dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes atomically (no temp file left, mode 0600) and reads back", async () => {
    await store.write(id1, cp);
    assert.deepEqual(await readdir(dir), [id1]);
    assert.equal((await stat(join(dir, id1))).mode & 0o777, 0o600);
    const { log } = capturingLogger();
    assert.deepEqual(await store.read(id1, log), { ...cp, legacy: false });
    await store.write(id1, { ...cp, podIps: ["10.0.0.1"] });
    assert.deepEqual((await store.read(id1, log))?.podIps, ["10.0.0.1"]);
    assert.deepEqual(await readdir(dir), [id1]);
  });

  it("lists sandbox ids only, skipping temp files and strangers, and finds by unique prefix", async () => {
    await store.write(id2, cp);
    await writeFile(join(dir, `.${id2}.tmp-1-abcd`), "partial");
    await writeFile(join(dir, "README"), "x");
    assert.deepEqual((await store.list()).sort(), [id1, id2]);
    assert.equal(await store.findId("ab"), id2);
    assert.equal(await store.findId("a"), undefined, "ambiguous");
    assert.equal(await store.findId(id1), id1);
    assert.equal(await store.findId("../etc"), undefined);
    assert.equal(await store.findId("ffff"), undefined);
  });

  it("removes a corrupt checkpoint with a warning and reports it absent", async () => {
    await writeFile(join(dir, id2), '{"version":"docker-cri/v1","name":"p","namespace":"n","checksum":"sha256:00"}');
    const { log, lines } = capturingLogger();
    assert.equal(await store.read(id2, log), undefined);
    await assert.rejects(readFile(join(dir, id2)), /ENOENT/);
    assert.ok(lines.some((l) => l.includes('"level":"warn"') && l.includes("Removing corrupt sandbox checkpoint") && l.includes("checksum mismatch")), lines.join(""));
  });

  it("treats absent checkpoints and ids that are not ids as absent, and removal as idempotent", async () => {
    const { log } = capturingLogger();
    assert.equal(await store.read("f".repeat(64), log), undefined);
    assert.equal(await store.read("../../etc/passwd", log), undefined);
    await store.remove(id1);
    await store.remove(id1);
    assert.equal(await store.read(id1, log), undefined);
    await assert.rejects(store.write("short", cp), /not a full sandbox id/);
  });
});
