/**
 * Docker's own json-file rotation (`--log-opt max-size`) while the copier follows: renames to
 * `.1`, `.2`, …, several rotations between two reads, in-place truncation with max-file=1, and a
 * start after rotations (copy from the oldest file still there).
 */
import assert from "node:assert/strict";
import { mkdirSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "../../src/logger/index.js";
import { createContainerLogManager, type ContainerLogManagerHandle } from "../../src/container-logs/index.js";
import { waitFor } from "../kit/wait-for.js";
import { JsonFileWriter, expectedCriLine, fakeContainerId, completeCriLineCount, readCriLines, tempLayout } from "./log-kit.js";

describe("Docker rotating its json-file log", () => {
  let layout: Awaited<ReturnType<typeof tempLayout>>;
  let manager: ContainerLogManagerHandle;

  before(async () => {
    layout = await tempLayout("logrotate");
    // A slow coalescing delay so that several rotations happen between two reads in the burst test.
    manager = createContainerLogManager({ stateDir: layout.state, log: silentLogger(), coalesceMs: 50 });
  });
  after(async () => {
    await manager.close();
    await layout.cleanup();
  });

  function container(): { id: string; writer: JsonFileWriter; criPath: string } {
    const id = fakeContainerId();
    mkdirSync(join(layout.docker, id), { recursive: true });
    return { id, writer: new JsonFileWriter(join(layout.docker, id, `${id}-json.log`)), criPath: join(layout.cri, id.slice(0, 12), "0.log") };
  }

  it("follows rotations during continuous output, one at a time and several between two reads", async () => {
    const c = container();
    await manager.start(c.id, c.writer.path, c.criPath);
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 40; i++) c.writer.write(i % 3 === 0 ? "stderr" : "stdout", `round ${round} line ${i}\n`);
      if (round % 3 === 2) {
        // A burst: three rotations faster than the copier's 50 ms delay.
        c.writer.rotate(5);
        c.writer.write("stdout", `burst a ${round}\n`);
        c.writer.rotate(5);
        c.writer.write("stdout", `burst b ${round}\n`);
        c.writer.rotate(5);
      } else {
        // One rotation after the copier has read the round (it used to wait a fixed 70 ms, and on a
        // loaded machine the copier fell more than max-file rotations behind: Docker then removes
        // a file nobody has read yet, and its lines are gone for good, whatever the copier does).
        await waitFor(`round ${round} copied`, () => completeCriLineCount(c.criPath) === c.writer.entries.length);
        c.writer.rotate(5);
      }
    }
    c.writer.write("stdout", "last\n");
    await waitFor("every line", () => completeCriLineCount(c.criPath) === c.writer.entries.length);
    await manager.stop(c.id);
    assert.ok(c.writer.rotations >= 10);
    assert.deepEqual(readCriLines(c.criPath), c.writer.entries.map(expectedCriLine));
  });

  it("copies from the oldest rotated file when it starts after rotations", async () => {
    const c = container();
    for (let f = 0; f < 3; f++) {
      for (let i = 0; i < 10; i++) c.writer.write("stdout", `file ${f} line ${i}\n`);
      c.writer.rotate();
    }
    c.writer.write("stderr", "current file\n");
    await manager.start(c.id, c.writer.path, c.criPath);
    await manager.stop(c.id);
    assert.deepEqual(readCriLines(c.criPath), c.writer.entries.map(expectedCriLine));
  });

  it("starts the file over when Docker truncates it in place (max-file=1)", async () => {
    const c = container();
    await manager.start(c.id, c.writer.path, c.criPath);
    for (let i = 0; i < 30; i++) c.writer.write("stdout", `before truncation ${i}\n`);
    await waitFor("30 lines", () => completeCriLineCount(c.criPath) === 30);
    truncateSync(c.writer.path, 0);
    c.writer.write("stdout", "after truncation\n");
    await waitFor("31 lines", () => completeCriLineCount(c.criPath) === 31);
    await manager.stop(c.id);
    assert.deepEqual(readCriLines(c.criPath), c.writer.entries.map(expectedCriLine));
  });
});
