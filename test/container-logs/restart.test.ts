/**
 * Restarts of docker-cri while a container writes: a child process runs the copier and is killed
 * with SIGKILL at arbitrary moments (also around a kubelet rotation of the CRI file and a Docker
 * rotation of the json file); after each restart the CRI files must hold every line exactly once.
 * Then the in-process restart paths: close/resumeAll, and a lost state file.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { silentLogger } from "../../src/logger/index.js";
import { createContainerLogManager } from "../../src/container-logs/index.js";
import { waitFor } from "../kit/wait-for.js";
import { JsonFileWriter, expectedCriLine, fakeContainerId, completeCriLineCount, readCriLines, tempLayout } from "./log-kit.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..");

interface Copier {
  readonly proc: ChildProcessWithoutNullStreams;
  waitFor(word: string): Promise<void>;
  send(command: string): void;
  stderr(): string;
  kill9(): Promise<void>;
}

async function spawnCopier(args: { stateDir: string; id: string; dockerLogPath: string; criLogPath: string; stateSaveDelayMs: number }): Promise<Copier> {
  const proc = spawn(process.execPath, ["--import", "tsx", join(here, "copier-child.ts"), JSON.stringify(args)], { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((res) => proc.once("exit", () => { res(); }));
  const copier: Copier = {
    proc,
    async waitFor(word) {
      await waitFor(`"${word}" from the copier (stderr: ${err.slice(-500)})`, () => out.split("\n").includes(word) || proc.exitCode !== null, { timeoutMs: 20_000 });
      assert.ok(out.split("\n").includes(word), `copier exited early: ${err.slice(-2000)}`);
      out = out.split("\n").filter((l) => l !== word).join("\n");
    },
    send(command) {
      proc.stdin.write(`${command}\n`);
    },
    stderr: () => err,
    async kill9() {
      proc.kill("SIGKILL");
      await exited;
    },
  };
  await copier.waitFor("ready");
  return copier;
}

describe("restarts of the copier", () => {
  let layout: Awaited<ReturnType<typeof tempLayout>>;

  before(async () => {
    layout = await tempLayout("logrestart");
  });
  after(async () => {
    await layout.cleanup();
  });

  function container(): { id: string; writer: JsonFileWriter; criPath: string } {
    const id = fakeContainerId();
    mkdirSync(join(layout.docker, id), { recursive: true });
    return { id, writer: new JsonFileWriter(join(layout.docker, id, `${id}-json.log`)), criPath: join(layout.cri, id.slice(0, 12), "0.log") };
  }

  /** Continuous output: 3 entries a millisecond, some of them partial lines. */
  function keepWriting(writer: JsonFileWriter): () => void {
    let n = 0;
    const t = setInterval(() => {
      for (let i = 0; i < 3; i++, n++) writer.write(n % 5 === 0 ? "stderr" : "stdout", n % 7 === 6 ? `part ${n}|` : `line ${n}\n`);
    }, 1);
    return () => { clearInterval(t); };
  }

  async function killCycles(stateSaveDelayMs: number, cycles: number): Promise<{ logs: string }> {
    const c = container();
    const args = { stateDir: layout.state, id: c.id, dockerLogPath: c.writer.path, criLogPath: c.criPath, stateSaveDelayMs };
    const stopWriting = keepWriting(c.writer);
    let logs = "";
    try {
      for (let i = 0; i < cycles; i++) {
        const copier = await spawnCopier(args);
        const size = existsSync(c.criPath) ? statSync(c.criPath).size : 0;
        await waitFor("the copier to write", () => existsSync(c.criPath) && statSync(c.criPath).size > size);
        await sleep(10 + ((i * 37) % 90));
        await copier.kill9();
        logs += copier.stderr();
      }
    } finally {
      stopWriting();
    }
    const last = await spawnCopier(args);
    last.send("stop");
    await last.waitFor("stopped");
    last.send("close");
    await last.waitFor("closed");
    logs += last.stderr();
    const lines = readCriLines(c.criPath);
    assert.ok(c.writer.entries.length > 1000, `enough output (${c.writer.entries.length})`);
    assert.equal(lines.length, c.writer.entries.length, "line count");
    assert.deepEqual(lines, c.writer.entries.map(expectedCriLine));
    return { logs };
  }

  it("SIGKILL while copying, offsets saved only at start: the unsaved tail is cut and copied again once", async () => {
    const { logs } = await killCycles(60_000, 5);
    assert.match(logs, /Cutting CRI log lines written after the last saved offset/, "the crash window was exercised");
  });

  it("SIGKILL while copying with offsets saved every few milliseconds", async () => {
    await killCycles(3, 5);
  });

  it("SIGKILL around kubelet rotations: after rename, after reopen, and between rename and reopen", async () => {
    const c = container();
    const args = { stateDir: layout.state, id: c.id, dockerLogPath: c.writer.path, criLogPath: c.criPath, stateSaveDelayMs: 60_000 };
    const stopWriting = keepWriting(c.writer);
    const rotated: string[] = [];
    let logs = "";
    try {
      for (let i = 1; i <= 6; i++) {
        const copier = await spawnCopier(args);
        await waitFor("output", () => existsSync(c.criPath) && statSync(c.criPath).size > 0);
        await sleep(30);
        const renamed = `${c.criPath}.${i}`;
        renameSync(c.criPath, renamed);
        rotated.push(renamed);
        if (i % 2 === 0) {
          // The kubelet's reopen went through before the crash.
          copier.send("reopen");
          await copier.waitFor("reopened");
          await sleep(20);
        } else {
          // Crash between the kubelet's rename and its reopen: the copier still writes to the
          // renamed file until it dies; the restart must cut that file, not the new one.
          await sleep(20);
        }
        await copier.kill9();
        logs += copier.stderr();
      }
    } finally {
      stopWriting();
    }
    const last = await spawnCopier(args);
    last.send("stop");
    await last.waitFor("stopped");
    last.send("close");
    await last.waitFor("closed");
    logs += last.stderr();
    assert.match(logs, /from the rotated CRI log file/, "a renamed file was cut");
    assert.deepEqual(readCriLines(...rotated, c.criPath), c.writer.entries.map(expectedCriLine));
  });

  it("SIGKILL, then Docker rotates its json file twice while docker-cri is down", async () => {
    const c = container();
    const args = { stateDir: layout.state, id: c.id, dockerLogPath: c.writer.path, criLogPath: c.criPath, stateSaveDelayMs: 60_000 };
    for (let i = 0; i < 50; i++) c.writer.write("stdout", `before ${i}\n`);
    const copier = await spawnCopier(args);
    await waitFor("50 lines", () => completeCriLineCount(c.criPath) === 50);
    for (let i = 0; i < 10; i++) c.writer.write("stderr", `unsaved ${i}\n`);
    await waitFor("60 lines", () => completeCriLineCount(c.criPath) === 60);
    await copier.kill9();
    for (let i = 0; i < 10; i++) c.writer.write("stdout", `while down ${i}\n`);
    c.writer.rotate();
    for (let i = 0; i < 10; i++) c.writer.write("stdout", `second file ${i}\n`);
    c.writer.rotate();
    for (let i = 0; i < 10; i++) c.writer.write("stdout", `third file ${i}\n`);
    const again = await spawnCopier(args);
    for (let i = 0; i < 10; i++) c.writer.write("stdout", `after restart ${i}\n`);
    again.send("stop");
    await again.waitFor("stopped");
    again.send("close");
    await again.waitFor("closed");
    assert.deepEqual(readCriLines(c.criPath), c.writer.entries.map(expectedCriLine));
  });

  it("close then resumeAll: live containers continue, vanished ones get a final copy and are forgotten", async () => {
    const stateDir = join(layout.root, "state-resume-all");
    const live = container();
    const vanished = container();
    const first = createContainerLogManager({ stateDir, log: silentLogger() });
    live.writer.write("stdout", "live 1\n");
    vanished.writer.write("stdout", "vanished 1\n");
    await first.start(live.id, live.writer.path, live.criPath);
    await first.start(vanished.id, vanished.writer.path, vanished.criPath);
    await waitFor("both copied", () => completeCriLineCount(live.criPath) === 1 && completeCriLineCount(vanished.criPath) === 1);
    await first.close();
    live.writer.write("stderr", "live 2, while down\n");
    vanished.writer.write("stderr", "vanished 2, while down\n");

    const second = createContainerLogManager({ stateDir, log: silentLogger() });
    await second.resumeAll([live.id]);
    assert.equal(existsSync(join(stateDir, `${vanished.id}.json`)), false, "bookkeeping of the vanished container dropped");
    assert.deepEqual(readCriLines(vanished.criPath), vanished.writer.entries.map(expectedCriLine), "final copy of the vanished container");
    vanished.writer.write("stdout", "vanished 3, not copied\n");
    live.writer.write("stdout", "live 3, after resume\n");
    await waitFor("live 3", () => completeCriLineCount(live.criPath) === 3);
    await second.flush(vanished.id);
    assert.equal(readCriLines(vanished.criPath).length, 2);
    assert.deepEqual(readCriLines(live.criPath), live.writer.entries.map(expectedCriLine));
    await second.forget(live.id);
    assert.equal(existsSync(join(stateDir, `${live.id}.json`)), false, "forget removes the state");
    assert.ok(existsSync(live.criPath), "the CRI log is left to the kubelet");
    await second.close();
  });

  it("SIGKILL right after a start that found lines but no state: the restart keeps skipping old entries", async () => {
    const c = container();
    for (let i = 0; i < 30; i++) c.writer.write("stdout", `already copied ${i}\n`);
    const first = createContainerLogManager({ stateDir: join(layout.root, "state-elsewhere"), log: silentLogger() });
    await first.start(c.id, c.writer.path, c.criPath);
    await first.stop(c.id);
    await first.close();
    assert.equal(readCriLines(c.criPath).length, 30);
    for (let i = 0; i < 5; i++) c.writer.write("stderr", `new ${i}\n`);
    // layout.state has no state for this container: the copier must skip by time, and a crash
    // before it is done must not forget that.
    const args = { stateDir: layout.state, id: c.id, dockerLogPath: c.writer.path, criLogPath: c.criPath, stateSaveDelayMs: 60_000 };
    const copier = await spawnCopier(args);
    await copier.kill9();
    const again = await spawnCopier(args);
    again.send("stop");
    await again.waitFor("stopped");
    again.send("close");
    await again.waitFor("closed");
    assert.deepEqual(readCriLines(c.criPath), c.writer.entries.map(expectedCriLine));
  });

  for (const damage of ["deleted", "corrupt"] as const) {
    it(`with its state file ${damage}, a restart copies again only entries newer than the CRI file's last line`, async () => {
      const stateDir = join(layout.root, `state-${damage}`);
      const c = container();
      const first = createContainerLogManager({ stateDir, log: silentLogger() });
      for (let i = 0; i < 20; i++) c.writer.write(i % 2 === 0 ? "stdout" : "stderr", `kept ${i}\n`);
      await first.start(c.id, c.writer.path, c.criPath);
      await waitFor("20 lines", () => completeCriLineCount(c.criPath) === 20);
      await first.close();
      if (damage === "deleted") rmSync(join(stateDir, `${c.id}.json`));
      else writeFileSync(join(stateDir, `${c.id}.json`), '{"version":1,"containerId":');
      for (let i = 0; i < 5; i++) c.writer.write("stdout", `new ${i}\n`);
      const second = createContainerLogManager({ stateDir, log: silentLogger() });
      await second.start(c.id, c.writer.path, c.criPath);
      await second.stop(c.id);
      assert.deepEqual(readCriLines(c.criPath), c.writer.entries.map(expectedCriLine));
      await second.close();
    });
  }
});
