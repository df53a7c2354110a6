/**
 * `--container-log-mode=json-symlink`: cri-dockerd's behaviour kept for compatibility, and the flag
 * that selects it.
 */
import assert from "node:assert/strict";
import { lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseFlags } from "../../src/config/index.js";
import { hasKind } from "../../src/errors/index.js";
import { silentLogger } from "../../src/logger/index.js";
import { createContainerLogManager, type ContainerLogManagerHandle } from "../../src/container-logs/index.js";
import { JsonFileWriter, expectedCriLine, fakeContainerId, readCriLines, tempLayout } from "./log-kit.js";

describe("json-symlink mode", () => {
  let layout: Awaited<ReturnType<typeof tempLayout>>;
  let manager: ContainerLogManagerHandle;

  before(async () => {
    layout = await tempLayout("logsymlink");
    manager = createContainerLogManager({ stateDir: layout.state, log: silentLogger(), mode: "json-symlink" });
  });
  after(async () => {
    await manager.close();
    await layout.cleanup();
  });

  it("links the CRI path to Docker's file, refuses reopen, and removes the link on forget", async () => {
    const id = fakeContainerId();
    mkdirSync(join(layout.docker, id), { recursive: true });
    const writer = new JsonFileWriter(join(layout.docker, id, `${id}-json.log`));
    writer.write("stdout", "json line\n");
    const criPath = join(layout.cri, "0.log");
    await manager.start(id, writer.path, criPath);
    await manager.start(id, writer.path, criPath);
    assert.equal(readlinkSync(criPath), writer.path);
    await assert.rejects(manager.reopen(id), (err) => hasKind(err, "Unimplemented") && err.message.includes("json-symlink"));
    await manager.stop(id);
    assert.equal(readlinkSync(criPath), writer.path, "stop leaves the link");
    await manager.forget(id);
    assert.equal(lstatSync(criPath, { throwIfNoEntry: false }), undefined, "the link is gone");
  });

  it("replaces a stale symlink but never a regular file", async () => {
    const id = fakeContainerId();
    const dockerPath = join(layout.docker, id, `${id}-json.log`);
    mkdirSync(join(layout.docker, id), { recursive: true });
    mkdirSync(join(layout.cri, "stale"), { recursive: true });
    const stale = join(layout.cri, "stale", "0.log");
    symlinkSync("/nonexistent", stale);
    await manager.start(id, dockerPath, stale);
    assert.equal(readlinkSync(stale), dockerPath);
    const other = fakeContainerId();
    const regular = join(layout.cri, "stale", "1.log");
    writeFileSync(regular, "someone's file\n");
    await assert.rejects(manager.start(other, dockerPath, regular), (err) => hasKind(err, "FailedPrecondition") && err.message.includes("not a symlink"));
    await manager.forget(id);
  });

  it("a container started in json-symlink mode and started again in cri mode gets a real CRI file", async () => {
    const id = fakeContainerId();
    mkdirSync(join(layout.docker, id), { recursive: true });
    const writer = new JsonFileWriter(join(layout.docker, id, `${id}-json.log`));
    writer.write("stdout", "must not be appended to Docker's file\n");
    const criPath = join(layout.cri, "switch", "0.log");
    await manager.start(id, writer.path, criPath);
    const cri = createContainerLogManager({ stateDir: layout.state, log: silentLogger() });
    await cri.start(id, writer.path, criPath);
    await cri.stop(id);
    assert.equal(lstatSync(criPath).isFile(), true);
    assert.equal(readFileSync(writer.path, "utf8").split("\n").length, 2, "Docker's file was not written through the old link");
    assert.deepEqual(readCriLines(criPath), writer.entries.map(expectedCriLine));
    await cri.forget(id);
    await cri.close();
  });
});

describe("--container-log-mode", () => {
  it("defaults to cri, takes json-symlink, and refuses anything else naming the flag", () => {
    const run = (args: string[]): string => {
      const res = parseFlags([...args]);
      if (res.kind !== "run") assert.fail(`parseFlags printed instead of running: ${res.text}`);
      return res.config.containerLogMode;
    };
    assert.equal(run([]), "cri");
    assert.equal(run(["--container-log-mode=json-symlink"]), "json-symlink");
    assert.equal(run(["--container-log-mode", "cri"]), "cri");
    assert.throws(() => parseFlags(["--container-log-mode=json"]), (err) => hasKind(err, "InvalidArgument") && err.message.includes("--container-log-mode") && err.message.includes("json-symlink"));
  });
});
