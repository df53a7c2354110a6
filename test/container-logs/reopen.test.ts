/**
 * ReopenContainerLog as the kubelet uses it: rename the CRI file, call reopen, keep reading. Done
 * here several times during continuous output; the renamed files plus the live one must hold every
 * line exactly once, in order, and a renamed file must not grow after reopen returned.
 */
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { hasKind } from "../../src/errors/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { createContainerLogManager, type ContainerLogManagerHandle } from "../../src/container-logs/index.js";
import { waitFor } from "../kit/wait-for.js";
import { JsonFileWriter, expectedCriLine, fakeContainerId, completeCriLineCount, readCriLines, tempLayout } from "./log-kit.js";

describe("reopening the CRI log", () => {
  let layout: Awaited<ReturnType<typeof tempLayout>>;
  let manager: ContainerLogManagerHandle;

  before(async () => {
    layout = await tempLayout("logreopen");
    manager = createContainerLogManager({ stateDir: layout.state, log: silentLogger() });
  });
  after(async () => {
    await manager.close();
    await layout.cleanup();
  });

  it("loses and repeats nothing when the file is rotated 8 times during continuous output", async () => {
    const id = fakeContainerId();
    mkdirSync(join(layout.docker, id), { recursive: true });
    const writer = new JsonFileWriter(join(layout.docker, id, `${id}-json.log`));
    const criPath = join(layout.cri, "0.log");
    await manager.start(id, writer.path, criPath);

    let n = 0;
    const ticker = setInterval(() => {
      for (let i = 0; i < 5; i++, n++) writer.write(n % 4 === 0 ? "stderr" : "stdout", n % 10 === 9 ? `partial ${n} ` : `line ${n}\n`);
    }, 1);
    const rotated: string[] = [];
    try {
      for (let r = 1; r <= 8; r++) {
        await waitFor("output in the live file", () => existsSync(criPath) && statSync(criPath).size > 0);
        await sleep(30 + r * 7);
        const renamed = `${criPath}.${r}`;
        renameSync(criPath, renamed);
        await manager.reopen(id);
        assert.ok(existsSync(criPath), "reopen creates the new file before it returns");
        rotated.push(renamed);
        const sizeAfterReopen = statSync(renamed).size;
        await sleep(40);
        assert.equal(statSync(renamed).size, sizeAfterReopen, "nothing is written to the renamed file after reopen");
      }
    } finally {
      clearInterval(ticker);
    }
    await manager.stop(id);
    assert.ok(writer.entries.length > 500, `enough output to matter (${writer.entries.length} entries)`);
    const lines = readCriLines(...rotated, criPath);
    assert.equal(lines.length, writer.entries.length);
    assert.deepEqual(lines, writer.entries.map(expectedCriLine));
    for (const r of rotated) assert.ok(readCriLines(r).length > 0, `${r} got lines`);
  });

  it("does not wait for a large backlog to be copied: reopen takes its turn between rounds", async () => {
    const id = fakeContainerId();
    mkdirSync(join(layout.docker, id), { recursive: true });
    const writer = new JsonFileWriter(join(layout.docker, id, `${id}-json.log`));
    const lines: string[] = [];
    for (let i = 0; i < 300_000; i++) lines.push(`${JSON.stringify(writer.entry(i % 2 === 0 ? "stdout" : "stderr", `backlog line ${i} ${"z".repeat(80)}\n`))}\n`);
    appendFileSync(writer.path, lines.join(""));
    assert.ok(statSync(writer.path).size > 40 * 1024 * 1024);
    const criPath = join(layout.cri, "backlog", "0.log");
    await manager.start(id, writer.path, criPath);
    await waitFor("the copy to begin", () => existsSync(criPath) && statSync(criPath).size > 0);
    renameSync(criPath, `${criPath}.1`);
    await manager.reopen(id);
    const before = readCriLines(`${criPath}.1`).length;
    assert.ok(before < writer.entries.length, `reopen returned before the backlog was copied (${before} of ${writer.entries.length})`);
    await manager.stop(id);
    assert.ok(readCriLines(criPath).length > 0, "the rest went to the new file");
    assert.deepEqual(readCriLines(`${criPath}.1`, criPath), writer.entries.map(expectedCriLine));
  });

  it("opens the path again even when its directory was moved away, and refuses when not copying", async () => {
    const id = fakeContainerId();
    mkdirSync(join(layout.docker, id), { recursive: true });
    const writer = new JsonFileWriter(join(layout.docker, id, `${id}-json.log`));
    const criPath = join(layout.cri, "gone", "0.log");
    writer.write("stdout", "a\n");
    await manager.start(id, writer.path, criPath);
    await waitFor("a", () => completeCriLineCount(criPath) === 1);
    renameSync(join(layout.cri, "gone"), join(layout.cri, "gone-renamed"));
    await manager.reopen(id);
    writer.write("stdout", "b\n");
    await waitFor("b", () => completeCriLineCount(criPath) === 1);
    assert.deepEqual([...readCriLines(join(layout.cri, "gone-renamed", "0.log")), ...readCriLines(criPath)], writer.entries.map(expectedCriLine));
    await manager.stop(id);
    await assert.rejects(manager.reopen(id), (err) => hasKind(err, "FailedPrecondition") && err.message.includes("not running"));
    await manager.forget(id);
    await assert.rejects(manager.reopen(id), (err) => hasKind(err, "NotFound"));
  });
});
