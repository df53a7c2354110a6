/**
 * HeldCgroupFiles against this host's real cgroupfs (a cgroup made for the test in the pids
 * hierarchy on v1, or the unified one on v2; the tests run as root): a held counter file reads as
 * fresh as a new open, a pid list is never held (v1 reuses its list across reads of one open file), a
 * removed cgroup reads as gone, a cgroup made again under the same name is read anew, unused files
 * are closed, and past the cap reads still answer without holding.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { HeldCgroupFiles } from "../../src/cgroup-stats/held-cgroup-files.js";
import { makeTestCgroup } from "../kit/cgroup-kit.js";

const openFds = async (): Promise<number> => (await readdir("/proc/self/fd")).length;

describe("HeldCgroupFiles on the real cgroupfs", () => {
  let dir: string;
  /** A counter that changes when a process moves in: pids.current (v1), cgroup.events' populated (v2). */
  let counter: string;
  const occupied = (text: string | undefined): boolean => (counter.endsWith("pids.current") ? text?.trim() === "1" : text?.includes("populated 1") === true);

  let remove: () => Promise<void>;

  before(async () => {
    ({ dir, counter, remove } = await makeTestCgroup("held"));
  });

  after(async () => {
    await remove();
  });

  it("reads fresh text from a held file, reads a removed cgroup as gone and a remade one anew, and closes what is unused", async () => {
    let now = 0;
    const held = new HeldCgroupFiles({ now: () => now, closeAfterMs: 1_000 });
    const file = `${dir}/${counter}`;
    const procs = `${dir}/cgroup.procs`;
    const fdsBefore = await openFds();
    assert.equal(occupied(held.read(file)), false, "a new cgroup has no process");
    assert.equal(held.size, 1);
    assert.equal(await openFds(), fdsBefore + 1, "the file is held open");
    assert.equal(held.read(procs)?.trim(), "");
    assert.equal(held.size, 1, "a pid list is not held");

    // Freshness: a process moved in shows on the next read of the same open file.
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      assert.ok(child.pid !== undefined);
      await writeFile(procs, String(child.pid));
      assert.equal(occupied(held.read(file)), true);
      assert.equal(held.size, 1, "read through the held file, not a new one");
      assert.equal(held.read(procs)?.trim(), String(child.pid), "the pid list is read anew");
    } finally {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    // The killed process leaves the cgroup once reaped.
    assert.equal(occupied(held.read(file)), false);

    // Removed: the held file fails (ENODEV) and the path no longer opens.
    await rmdir(dir);
    assert.equal(held.read(file), undefined);
    assert.equal(held.size, 0, "the failed file was closed");

    // Made again under the same name: read from the new cgroup, not the old one's file.
    await mkdir(dir);
    const child2 = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      assert.ok(child2.pid !== undefined);
      await writeFile(procs, String(child2.pid));
      assert.equal(occupied(held.read(file)), true);
    } finally {
      child2.kill("SIGKILL");
      await once(child2, "exit");
    }
    assert.equal(held.size, 1);

    // Unused for closeAfterMs: closed by the sweep's pass.
    now += 500;
    held.closeUnused();
    assert.equal(held.size, 1, "read 500 ms ago: kept");
    now += 1_000;
    held.closeUnused();
    assert.equal(held.size, 0, "not read for 1.5 s: closed");
    assert.equal(await openFds(), fdsBefore, "nothing left open");
  });

  it("past maxHeld reads by path without holding, and close() releases everything", async () => {
    const held = new HeldCgroupFiles({ maxHeld: 1 });
    const fdsBefore = await openFds();
    assert.notEqual(held.read(`${dir}/${counter}`), undefined);
    assert.notEqual(held.read(`${dir}/cgroup.type`) ?? held.read(`${dir}/pids.max`), undefined, "a second file of the cgroup reads");
    assert.equal(held.size, 1, "only one is held");
    assert.equal(held.read(`${dir}/no-such-file`), undefined);
    held.close();
    assert.equal(held.size, 0);
    assert.equal(await openFds(), fdsBefore);
  });
});

describe("HeldCgroupFiles' default cap", () => {
  it("holds at most a quarter of the open-file limit, and reads past it still answer", () => {
    // A child with an open-file limit of 64 may hold 16 files; it reads 40 different ones.
    const module = new URL("../../src/cgroup-stats/held-cgroup-files.ts", import.meta.url).pathname;
    const script = `
      const { readdirSync } = require("node:fs");
      import(${JSON.stringify(module)}).then(({ HeldCgroupFiles }) => {
        const held = new HeldCgroupFiles();
        const files = readdirSync("/proc/sys/kernel", { withFileTypes: true }).filter((e) => e.isFile()).map((e) => "/proc/sys/kernel/" + e.name);
        const read = files.filter((f) => held.read(f) !== undefined).slice(0, 40);
        const again = read.filter((f) => held.read(f) !== undefined);
        process.stdout.write(JSON.stringify({ read: read.length, again: again.length, held: held.size }));
        held.close();
      });
    `;
    const out = execFileSync("sh", ["-c", 'ulimit -n 64 && exec "$0" --import tsx -e "$1"', process.execPath, script], { encoding: "utf8" });
    const result: unknown = JSON.parse(out);
    assert.ok(typeof result === "object" && result !== null);
    const { read, again, held } = result as { read: number; again: number; held: number }; // our own child's JSON
    assert.equal(read, 40, "40 files read");
    assert.equal(again, read, "every file reads again, held or not");
    assert.equal(held, 16, "a quarter of 64 held");
  });
});

describe("HeldCgroupFiles and big files", () => {
  it("reads a held file bigger than the shared buffer whole, each time from its start", async () => {
    const dir = await mkdtemp(join(tmpdir(), "docker-cri-held-"));
    try {
      const path = join(dir, "big");
      const text = (fill: string): string => `${fill.repeat(40_000)}\nend\n`;
      await writeFile(path, text("a"));
      const held = new HeldCgroupFiles();
      assert.equal(held.read(path), text("a"));
      assert.equal(held.size, 1, "held open");
      await writeFile(path, text("b"));
      assert.equal(held.read(path), text("b"), "the held file read again from offset 0, whole");
      assert.equal(held.read(join(dir, "missing")), undefined);
      held.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
