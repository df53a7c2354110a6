/**
 * The read-files addon (src/cgroup-stats/read-files.c, built by `npm run build`) against real files:
 * held descriptors read again from their start, paths opened and closed on the pool thread, files
 * bigger than one kernel page (a seq_file answers those a page per read) read whole, failures as
 * undefined, bad items refused; and HeldCgroupFiles.readMany over it on this host's cgroupfs.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadReadFiles, type ReadFiles } from "../../src/cgroup-stats/read-files.js";
import { HeldCgroupFiles } from "../../src/cgroup-stats/held-cgroup-files.js";
import { readPodInterfaces, readPodInterfacesMany } from "../../src/cgroup-stats/net-dev.js";
import { makeTestCgroup } from "../kit/cgroup-kit.js";

// Synchronous: a batch's completion (a callback on this thread) cannot run in the middle of a count.
const openFds = (): number => readdirSync("/proc/self/fd").length;

function addon(): ReadFiles {
  execFileSync(process.execPath, [new URL("../../scripts/build-addons.mjs", import.meta.url).pathname, "read-files"], { stdio: "inherit" });
  const loaded = loadReadFiles();
  assert.ok("readFiles" in loaded, `the addon loads: ${"unavailable" in loaded ? loaded.unavailable : ""}`);
  return loaded.readFiles;
}

describe("read-files addon", () => {
  let readFiles: ReadFiles;
  let dir: string;
  before(async () => {
    readFiles = addon();
    dir = await mkdtemp(join(tmpdir(), "docker-cri-read-files-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads descriptors from their start and paths, whole, one answer per item", async () => {
    const small = join(dir, "small");
    const big = join(dir, "big");
    await writeFile(small, "42\n");
    await writeFile(big, `${"x".repeat(100_000)}\nend\n`);
    const fd = openSync(small, "r");
    try {
      const [first, second] = await readFiles([fd, fd]);
      assert.equal(first, "42\n");
      assert.equal(second, "42\n", "the same descriptor read again from its start");
      await writeFile(small, "43\n");
      const [again, bigText, missing] = await readFiles([fd, big, join(dir, "missing")]);
      assert.equal(again, "43\n", "a held file reads what it holds now");
      assert.equal(bigText, `${"x".repeat(100_000)}\nend\n`, "a file bigger than the first chunk, whole");
      assert.equal(missing, undefined, "a file that cannot be opened is undefined");
    } finally {
      closeSync(fd);
    }
    assert.deepEqual(await readFiles([]), []);
  });

  it("reads a seq_file longer than one page whole, as the kernel gives it a page per read", async () => {
    // /proc/self/mountinfo of the test process: its own text, read by the pool thread as by readFileSync.
    const [mountinfo] = await readFiles(["/proc/self/mountinfo"]);
    const expected = readFileSync("/proc/self/mountinfo", "utf8");
    assert.ok(expected.length > 0);
    assert.equal(mountinfo, expected);
    // A long file of many records is answered a page per read: the pool thread reads on to the end.
    const maps = (await readFiles(["/proc/self/maps"]))[0] ?? "";
    assert.ok(maps.length > 4096, `maps is ${maps.length} bytes: more than one page`);
    assert.ok(maps.endsWith("\n") && maps.includes("[stack]"), "read to its end");
  });

  it("answers undefined for a descriptor that cannot be read and refuses items that are neither", async () => {
    const fd = openSync(dir, "r");
    try {
      assert.deepEqual(await readFiles([fd]), [undefined], "a directory does not read");
    } finally {
      closeSync(fd);
    }
    const fdsBefore = openFds();
    await readFiles(Array.from({ length: 50 }, () => "/proc/self/status"));
    assert.equal(openFds(), fdsBefore, "paths are closed after their read");
    const call = readFiles as (items: unknown) => unknown;
    assert.throws(() => call([{}]), TypeError);
    assert.throws(() => call([-1]), TypeError);
    assert.throws(() => call([""]), TypeError);
    assert.throws(() => call("/proc/self/status"), TypeError);
  });

  it("reads pods' net/dev in one batch as one by one, a namespace of many interfaces whole", async () => {
    // A network namespace of the test's own with 40 interfaces (20 veth pairs): its net/dev is over a page, and quiet.
    const pod = spawn("unshare", ["-n", "sh", "-c", "for i in $(seq 20); do ip link add a$i type veth peer name b$i || exit 1; done; echo ready; exec sleep 60"], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = once(pod, "exit").then(([code]) => { throw new Error(`the namespace's shell exited (${String(code)}) before it was ready`); });
    try {
      const [ready] = (await Promise.race([once(pod.stdout, "data"), exited])) as [Buffer];
      assert.equal(ready.toString().trim(), "ready");
      assert.ok(pod.pid !== undefined);
      const pids = [pod.pid, 999_999_999];
      const many = await readPodInterfacesMany(pids, "/proc", readFiles);
      const names = many.get(pod.pid)?.map((i) => i.name);
      assert.deepEqual(names?.sort(), Array.from({ length: 20 }, (_, i) => [`a${i + 1}`, `b${i + 1}`]).flat().sort(), "every interface but lo, past the first page");
      assert.deepEqual(many.get(pod.pid), readPodInterfaces(pod.pid), "the same as read one by one");
      assert.equal(many.get(999_999_999), undefined, "a pid that is gone has none");
      assert.deepEqual(await readPodInterfacesMany(pids, "/proc"), many, "the same without the addon");
    } finally {
      exited.catch(() => undefined);
      pod.kill("SIGKILL");
    }
  });
});

describe("HeldCgroupFiles.readMany on the real cgroupfs", () => {
  let readFiles: ReadFiles;
  let dir: string;
  let counter: string;
  let remove: () => Promise<void>;
  before(async () => {
    readFiles = addon();
    ({ dir, counter, remove } = await makeTestCgroup("many"));
  });
  after(async () => {
    await remove();
  });

  it("reads as read does, holds what it opened, and closes nothing a batch is reading until it ends", async () => {
    let now = 0;
    const held = new HeldCgroupFiles({ readFiles, now: () => now, closeAfterMs: 1_000 });
    const file = `${dir}/${counter}`;
    const procs = `${dir}/cgroup.procs`;
    const fdsBefore = openFds();
    const first = await held.readMany([file, procs, file, `${dir}/no-such-file`]);
    assert.deepEqual([...first.keys()], [file, procs, `${dir}/no-such-file`], "each path once");
    assert.equal(first.get(file), held.read(file));
    assert.equal(first.get(procs)?.trim(), "");
    assert.equal(first.get(`${dir}/no-such-file`), undefined);
    assert.equal(held.size, 1, "the counter is held, the pid list is not");
    assert.equal(openFds(), fdsBefore + 1);

    // A close asked for while a batch reads the file waits for the batch.
    const batch = held.readMany([file]);
    now += 5_000;
    held.closeUnused();
    assert.equal(held.size, 0, "forgotten at once");
    assert.equal(openFds(), fdsBefore + 1, "but its descriptor stays open while the batch reads it");
    assert.equal((await batch).get(file), first.get(file));
    assert.equal(openFds(), fdsBefore, "closed once the batch ended");

    // A cgroup removed and made again: the held descriptor fails, readMany reads the new one.
    await held.readMany([file]);
    assert.equal(held.size, 1);
    await rmdir(dir);
    assert.equal((await held.readMany([file])).get(file), undefined, "gone");
    await mkdir(dir);
    assert.equal((await held.readMany([file])).get(file), first.get(file), "made again: read anew");
    held.close();
    assert.equal(openFds(), fdsBefore, "nothing left open");
  });

  it("runs batches one after another, each answered in full, and a read meanwhile opens the file afresh", async () => {
    const held = new HeldCgroupFiles({ readFiles });
    const file = `${dir}/${counter}`;
    const expected = held.read(file);
    assert.notEqual(expected, undefined);
    const fdsBefore = openFds();
    const batches = Array.from({ length: 8 }, () => held.readMany([file, `${dir}/cgroup.procs`]));
    assert.equal(held.read(file), expected, "read while the first batch reads the held descriptor");
    for (const a of await Promise.all(batches)) assert.equal(a.get(file), expected);
    assert.equal(held.size, 1, "still one file held");
    assert.equal(openFds(), fdsBefore, "nothing else left open");
    held.close();
  });

  it("answers a long batch in order, each path its own text", async () => {
    const held = new HeldCgroupFiles({ readFiles });
    const files = readdirSync(dir).map((f) => `${dir}/${f}`).filter((f) => held.read(f) !== undefined);
    const paths = Array.from({ length: 700 }, (_, i) => files[i % files.length] ?? "");
    const unique = [...new Set(paths)];
    const expected = new Map(unique.map((p) => [p, held.read(p)]));
    // A few files, each through many distinct paths: 700 items, each answered with its own file's text.
    const many = await held.readMany(Array.from({ length: 700 }, (_, i) => `${dir}/./${"./".repeat(i)}${(files[i % files.length] ?? "").slice(dir.length + 1)}`));
    assert.equal(many.size, 700);
    for (const [path, text] of many) {
      const name = path.slice(path.lastIndexOf("/") + 1);
      if (name === "cgroup.procs" || name === "cgroup.events" || name === "pids.current") assert.equal(text, expected.get(`${dir}/${name}`), path);
      else assert.equal(typeof text, "string", path);
    }
    held.close();
  });
});
