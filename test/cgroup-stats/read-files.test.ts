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
import { loadReadFiles, type ReadFiles, type ReadValues } from "../../src/cgroup-stats/read-files.js";
import { fillSlots, slotNone, slotUnreadable, slotValue, type CounterFile, type CounterValues } from "../../src/cgroup-stats/counter-files.js";
import { HeldCgroupFiles } from "../../src/cgroup-stats/held-cgroup-files.js";
import { readPodInterfaces, readPodInterfacesMany } from "../../src/cgroup-stats/net-dev.js";
import { makeTestCgroup } from "../kit/cgroup-kit.js";

// Synchronous: a batch's completion (a callback on this thread) cannot run in the middle of a count.
const openFds = (): number => readdirSync("/proc/self/fd").length;

function addon(): { readFiles: ReadFiles; readValues: ReadValues } {
  execFileSync(process.execPath, [new URL("../../scripts/build-addons.mjs", import.meta.url).pathname, "read-files"], { stdio: "inherit" });
  const loaded = loadReadFiles();
  assert.ok("readFiles" in loaded, `the addon loads: ${"unavailable" in loaded ? loaded.unavailable : ""}`);
  return loaded;
}

describe("read-files addon", () => {
  let readFiles: ReadFiles;
  let dir: string;
  let readValues: ReadValues;
  before(async () => {
    ({ readFiles, readValues } = addon());
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

  it("parses integers and key lines on the pool thread as parseUint and keyValue do", async () => {
    const write = async (name: string, text: string): Promise<string> => {
      await writeFile(join(dir, name), text);
      return join(dir, name);
    };
    const padded = await write("padded", "  123\n");
    const stat = await write("stat", "rss_huge 1\ntotal_rss 2\nrss 3\nxrss 4\nbad x\ntotal_rss_huge 5");
    const max = await write("max", "max\n");
    const top = await write("top", "18446744073709551615\n");
    const past = await write("past", "18446744073709551616\n");
    const empty = await write("empty", "");
    const fd = openSync(stat, "r");
    try {
      const [values, states] = await readValues(
        [padded, fd, max, join(dir, "missing"), top, past, empty],
        [undefined, ["rss", "total_rss", "total_rss_huge", "huge", "bad"], undefined, ["a", "b"], undefined, undefined, ["rss"]],
      );
      assert.deepEqual([...values], [123n, 3n, 2n, 5n, 0n, 0n, 0n, 0n, 0n, 18446744073709551615n, 0n, 0n]);
      assert.deepEqual([...states], [slotValue, slotValue, slotValue, slotValue, slotNone, slotNone, slotNone, slotUnreadable, slotUnreadable, slotValue, slotNone, slotNone],
        "a whole line's first word only; not a number, \"max\" and past 64 bits are none; a missing file is unreadable in every slot");
    } finally {
      closeSync(fd);
    }
    assert.deepEqual(await readValues([], []), [new BigUint64Array(0), new Uint8Array(0)]);
    const call = readValues as (items: unknown, keys?: unknown) => unknown;
    assert.throws(() => call([padded]), TypeError, "no key lists");
    assert.throws(() => call([padded], []), /1 items but 0 key lists/);
    assert.throws(() => call([padded], [[]]), TypeError, "an empty key list");
    assert.throws(() => call([padded], [[""]]), TypeError, "an empty key");
    assert.throws(() => call([padded], ["rss"]), TypeError, "a key list that is not an array");
    assert.throws(() => call([-1], [undefined]), TypeError);
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

describe("HeldCgroupFiles.readValues on the real cgroupfs", () => {
  let readValues: ReadValues;
  let dir: string;
  let counter: string;
  let remove: () => Promise<void>;
  before(async () => {
    readValues = addon().readValues;
    ({ dir, counter, remove } = await makeTestCgroup("many"));
  });
  after(async () => {
    await remove();
  });

  // v1's pids.current is one integer, v2's cgroup.events "key value" lines.
  const counterFile = (path: string): CounterFile => (path.endsWith("/cgroup.events") ? { path, keys: ["populated", "frozen"] } : { path });
  /** What read and a parse in JavaScript make of the files: the values readValues must give. */
  function expected(held: HeldCgroupFiles, files: readonly CounterFile[]): CounterValues {
    const out = { values: new BigUint64Array(files.reduce((n, f) => n + (f.keys?.length ?? 1), 0)), states: new Uint8Array(files.reduce((n, f) => n + (f.keys?.length ?? 1), 0)) };
    let slot = 0;
    for (const f of files) {
      fillSlots(out, slot, f, held.read(f.path));
      slot += f.keys?.length ?? 1;
    }
    return out;
  }

  it("reads and parses as read and a parse do, holds what it opened, and closes nothing a batch is reading until it ends", async () => {
    let now = 0;
    const held = new HeldCgroupFiles({ readValues, now: () => now, closeAfterMs: 1_000 });
    const file = counterFile(`${dir}/${counter}`);
    const procs = { path: `${dir}/cgroup.procs` };
    const missing = { path: `${dir}/no-such-file` };
    const fdsBefore = openFds();
    const first = await held.readValues([file, procs, file, missing]);
    const width = file.keys?.length ?? 1;
    const counted = Array.from({ length: width }, () => slotValue);
    assert.deepEqual([...first.states], [...counted, slotNone, ...counted, slotUnreadable], "the counter twice, the empty pid list no integer, the missing file unreadable");
    assert.deepEqual(first, expected(held, [file, procs, file, missing]));
    assert.equal(first.values[0], 0n, "an empty cgroup counts nothing");
    assert.equal(held.size, 1, "the counter is held, the pid list is not");
    assert.equal(openFds(), fdsBefore + 1);

    // A close asked for while a batch reads the file waits for the batch.
    const want = expected(held, [file]);
    const batch = held.readValues([file]);
    now += 5_000;
    held.closeUnused();
    assert.equal(held.size, 0, "forgotten at once");
    assert.equal(openFds(), fdsBefore + 1, "but its descriptor stays open while the batch reads it");
    assert.deepEqual(await batch, want);
    assert.equal(openFds(), fdsBefore, "closed once the batch ended");

    // A cgroup removed and made again: the held descriptor fails, readValues reads the new one.
    await held.readValues([file]);
    assert.equal(held.size, 1);
    await rmdir(dir);
    assert.deepEqual([...(await held.readValues([file])).states], Array.from({ length: width }, () => slotUnreadable), "gone");
    await mkdir(dir);
    assert.deepEqual(await held.readValues([file]), expected(held, [file]), "made again: read anew");
    assert.equal((await held.readValues([file])).states[0], slotValue);
    held.close();
    assert.equal(openFds(), fdsBefore, "nothing left open");
  });

  it("runs batches one after another, each answered in full, and a read meanwhile opens the file afresh", async () => {
    const held = new HeldCgroupFiles({ readValues });
    const file = counterFile(`${dir}/${counter}`);
    const text = held.read(file.path);
    assert.notEqual(text, undefined);
    const want = expected(held, [file, { path: `${dir}/cgroup.procs` }]);
    const fdsBefore = openFds();
    const batches = Array.from({ length: 8 }, () => held.readValues([file, { path: `${dir}/cgroup.procs` }]));
    assert.equal(held.read(file.path), text, "read while the first batch reads the held descriptor");
    for (const a of await Promise.all(batches)) assert.deepEqual(a, want);
    assert.equal(held.size, 1, "still one file held");
    assert.equal(openFds(), fdsBefore, "nothing else left open");
    held.close();
  });

  it("answers a long batch in order, each file its own values, the same without the addon", async () => {
    const held = new HeldCgroupFiles({ readValues });
    const names = readdirSync(dir).filter((f) => held.read(`${dir}/${f}`) !== undefined);
    // A few files, each through many distinct paths: 700 items, every other one looked up by keys.
    const files: CounterFile[] = Array.from({ length: 700 }, (_, i) => {
      const path = `${dir}/./${"./".repeat(i)}${names[i % names.length] ?? ""}`;
      return i % 2 === 0 ? { path } : { path, keys: ["populated", "frozen", "nr_descendants"] };
    });
    const many = await held.readValues(files);
    assert.equal(many.states.length, 350 + 350 * 3);
    assert.deepEqual(many, expected(held, files));
    assert.ok(many.states.includes(slotValue), "some files are integers or have those keys");
    assert.deepEqual(await new HeldCgroupFiles().readValues(files), many, "one by one without the addon, the same");
    held.close();
  });
});
