/**
 * The copier on json-file input written by the test itself: CRI format, partial lines, Docker's
 * 16 KiB splits, the first byte, unfinished lines, and the argument checks.
 */
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { hasKind } from "../../src/errors/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { createContainerLogManager, type ContainerLogManagerHandle } from "../../src/container-logs/index.js";
import { waitFor } from "../kit/wait-for.js";
import { JsonFileWriter, expectedCriLine, fakeContainerId, parseCriFile, completeCriLineCount, readCriLines, tempLayout } from "./log-kit.js";

describe("CRI log format", () => {
  let layout: Awaited<ReturnType<typeof tempLayout>>;
  let manager: ContainerLogManagerHandle;

  before(async () => {
    layout = await tempLayout("logfmt");
    manager = createContainerLogManager({ stateDir: layout.state, log: silentLogger() });
  });
  after(async () => {
    await manager.close();
    await layout.cleanup();
  });

  /** A container's Docker directory with a writer on its json log, and the CRI path beside the pod's. */
  function container(): { id: string; writer: JsonFileWriter; criPath: string } {
    const id = fakeContainerId();
    const dir = join(layout.docker, id);
    mkdirSync(dir, { recursive: true });
    return { id, writer: new JsonFileWriter(join(dir, `${id}-json.log`)), criPath: join(layout.cri, id.slice(0, 8), "0.log") };
  }

  it("copies stdout and stderr lines with Docker's timestamps, from the first byte, into a new directory", async () => {
    const c = container();
    c.writer.write("stdout", "first line, written before start\n");
    c.writer.write("stderr", "an error\n");
    await manager.start(c.id, c.writer.path, c.criPath);
    c.writer.write("stdout", "après ✓ \t tab\n");
    c.writer.write("stdout", "\n");
    const expected = (): string[] => c.writer.entries.map(expectedCriLine);
    await waitFor("the 4 lines", () => completeCriLineCount(c.criPath) === 4);
    assert.deepEqual(readCriLines(c.criPath), expected());
    const lines = parseCriFile(readFileSync(c.criPath, "utf8"));
    assert.deepEqual(lines.map((l) => `${l.stream}/${l.tag}/${l.content}`), ["stdout/F/first line, written before start", "stderr/F/an error", "stdout/F/après ✓ \t tab", "stdout/F/"]);
    assert.equal(lines[0]?.time, c.writer.entries[0]?.time, "Docker's time, not the copy time");
    assert.equal(statSync(c.criPath).mode & 0o777, 0o640);
    await manager.stop(c.id);
  });

  it("tags partial lines P, and a 40 KiB line cut by Docker at 16 KiB reassembles to the original", async () => {
    const c = container();
    await manager.start(c.id, c.writer.path, c.criPath);
    const long = Array.from({ length: 40 * 1024 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
    c.writer.write("stdout", long.slice(0, 16384));
    c.writer.write("stdout", long.slice(16384, 32768));
    c.writer.write("stderr", "interleaved\n");
    c.writer.write("stdout", `${long.slice(32768)}\n`);
    c.writer.write("stdout", "no newline at exit");
    await waitFor("5 lines", () => completeCriLineCount(c.criPath) === 5);
    await manager.stop(c.id);
    const lines = parseCriFile(readFileSync(c.criPath, "utf8"));
    assert.deepEqual(lines.map((l) => l.tag), ["P", "P", "F", "F", "P"]);
    const stdout = lines.filter((l) => l.stream === "stdout");
    // The kubelet's rule: P lines are joined with what follows, an F line ends the message.
    const joined: string[] = [];
    let pending = "";
    for (const l of stdout) {
      pending += l.content;
      if (l.tag === "F") {
        joined.push(pending);
        pending = "";
      }
    }
    assert.deepEqual(joined, [long]);
    assert.equal(pending, "no newline at exit");
    assert.deepEqual(readCriLines(c.criPath), c.writer.entries.map(expectedCriLine));
  });

  it("waits for a json line Docker has not finished writing, then copies it once", async () => {
    const c = container();
    await manager.start(c.id, c.writer.path, c.criPath);
    c.writer.write("stdout", "one\n");
    const finish = c.writer.writeInTwo("stdout", "two, written in two steps\n", 17);
    await waitFor("line one", () => completeCriLineCount(c.criPath) === 1);
    await manager.flush(c.id);
    assert.equal(readCriLines(c.criPath).length, 1, "half a json line is not copied");
    finish();
    c.writer.write("stderr", "three\n");
    await waitFor("3 lines", () => completeCriLineCount(c.criPath) === 3);
    await manager.stop(c.id);
    assert.deepEqual(readCriLines(c.criPath), c.writer.entries.map(expectedCriLine));
  });

  it("skips lines that are not json-file entries and keeps copying", async () => {
    const c = container();
    c.writer.write("stdout", "before\n");
    appendFileSync(c.writer.path, "not json\n{\"log\":\"x\",\"stream\":\"stdout\",\"time\":\"not a time\"}\n");
    c.writer.write("stdout", "after\n");
    await manager.start(c.id, c.writer.path, c.criPath);
    await manager.stop(c.id);
    assert.deepEqual(readCriLines(c.criPath), c.writer.entries.map(expectedCriLine));
  });

  it("copies in batches: 20 000 lines written at once reach the file complete and in order", async () => {
    const c = container();
    await manager.start(c.id, c.writer.path, c.criPath);
    for (let i = 0; i < 20_000; i++) c.writer.write(i % 3 === 0 ? "stderr" : "stdout", `line ${i} ${"x".repeat(i % 50)}\n`);
    await waitFor("20 000 lines", () => completeCriLineCount(c.criPath) === 20_000, { timeoutMs: 30_000 });
    await manager.stop(c.id);
    assert.deepEqual(readCriLines(c.criPath), c.writer.entries.map(expectedCriLine));
  });

  it("copies lines far longer than its read chunk whole (64-byte chunks, 20 KiB lines)", async () => {
    const small = createContainerLogManager({ stateDir: layout.state, log: silentLogger(), readChunkBytes: 64 });
    const c = container();
    for (let i = 0; i < 5; i++) c.writer.write("stdout", String(i).repeat(16384));
    c.writer.write("stdout", "end\n");
    c.writer.write("stderr", `${"e".repeat(20_000)}\n`);
    await small.start(c.id, c.writer.path, c.criPath);
    await small.stop(c.id);
    await small.close();
    assert.deepEqual(readCriLines(c.criPath), c.writer.entries.map(expectedCriLine));
  });

  it("is idempotent for start, refuses other paths, and checks its arguments", async () => {
    const c = container();
    c.writer.write("stdout", "once\n");
    await manager.start(c.id, c.writer.path, c.criPath);
    await manager.start(c.id, c.writer.path, c.criPath);
    await assert.rejects(manager.start(c.id, c.writer.path, `${c.criPath}.other`), (err) => hasKind(err, "FailedPrecondition"));
    await manager.stop(c.id);
    assert.deepEqual(readCriLines(c.criPath), c.writer.entries.map(expectedCriLine));
    await assert.rejects(manager.start("../escape", c.writer.path, c.criPath), (err) => hasKind(err, "InvalidArgument") && err.message.includes('"../escape"'));
    await assert.rejects(manager.start("", c.writer.path, c.criPath), (err) => hasKind(err, "InvalidArgument"));
    await assert.rejects(manager.start(c.id, "relative.log", c.criPath), (err) => hasKind(err, "InvalidArgument") && err.message.includes("Docker log path"));
    await assert.rejects(manager.start(c.id, c.writer.path, ""), (err) => hasKind(err, "InvalidArgument") && err.message.includes("CRI log path"));
    await assert.rejects(manager.reopen(fakeContainerId()), (err) => hasKind(err, "NotFound"));
    await manager.stop(fakeContainerId());
    await manager.forget(fakeContainerId());
  });
});
