/**
 * The cgroup readers against cgroup trees written to a temp directory: cgroup v2 (which this host
 * does not run) and v1 with every file the readers use, plus the systemd slice naming.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CgroupLocator, CgroupReader, containerCgroupName, expandSlice, keyValue, parseNetDev, podCgroupName, type CgroupStats, type CgroupUsage } from "../../src/cgroup-stats/index.js";
import { readPseudoFile } from "../../src/cgroup-stats/cgroup-files.js";
import { v1UsagePlan } from "../../src/cgroup-stats/cgroup-v1-stats.js";
import { v2UsagePlan } from "../../src/cgroup-stats/cgroup-v2-stats.js";
import { textCounters } from "../../src/cgroup-stats/counter-files.js";
import type { UsagePlan } from "../../src/cgroup-stats/cgroup-stats.js";
import { loadReadFiles, type ReadValues } from "../../src/cgroup-stats/read-files.js";

/** The fields of a full read that readUsage must give, and nothing else. */
function usageOf(s: CgroupStats): CgroupUsage {
  const m = s.memory;
  return {
    cpu: s.cpu === undefined ? undefined : { usageNs: s.cpu.usageNs },
    memory: m === undefined ? undefined : { usage: m.usage, workingSet: m.workingSet, limit: m.limit, rss: m.rss, pageFaults: m.pageFaults, majorPageFaults: m.majorPageFaults, swapUsage: m.swapUsage, swapLimit: m.swapLimit },
    pids: s.pids === undefined ? undefined : { current: s.pids.current },
  };
}

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "docker-cri-cgroups-"));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe("cgroup names", () => {
  it("follows Docker's cgroupfs and systemd conventions", () => {
    assert.equal(containerCgroupName("cgroupfs", "", "abc"), "/docker/abc");
    assert.equal(containerCgroupName("cgroupfs", "/kubepods/burstable/pod1", "abc"), "/kubepods/burstable/pod1/abc");
    assert.equal(containerCgroupName("cgroupfs", "kubepods/", "abc"), "/kubepods/abc");
    assert.equal(containerCgroupName("systemd", "", "abc"), "/system.slice/docker-abc.scope");
    assert.equal(containerCgroupName("systemd", "kubepods-burstable-pod1.slice", "abc"), "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/docker-abc.scope");
    assert.equal(podCgroupName("systemd", "kubepods-besteffort-pod2.slice"), "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2.slice");
    assert.equal(expandSlice("-.slice"), "/");
    assert.throws(() => expandSlice("not-a-slice"), /Invalid systemd slice/);
  });
});

describe("cgroup v2", () => {
  it("reads cpu.stat in microseconds, memory.current minus inactive_file, swap, pids and oom kills", async () => {
    const root = await tree({
      "pod/c1/cpu.stat": "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 10\nnr_throttled 3\nthrottled_usec 7000\n",
      "pod/c1/memory.current": "104857600\n",
      "pod/c1/memory.max": "max\n",
      "pod/c1/memory.peak": "209715200\n",
      "pod/c1/memory.stat": "anon 52428800\nfile 41943040\nfile_mapped 1048576\nactive_file 20971520\ninactive_file 10485760\npgfault 1234\npgmajfault 5\n",
      "pod/c1/memory.events": "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n",
      "pod/c1/memory.swap.current": "4096\n",
      "pod/c1/memory.swap.max": "1048576\n",
      "pod/c1/pids.current": "7\n",
      "pod/c1/pids.max": "max\n",
      "pod/c1/cgroup.procs": "10\n11\n\n",
    });
    const reader = new CgroupReader({ version: 2, unified: { mountPoint: root, root: "/", controllers: [] } });
    const s = reader.read("/pod/c1", true);
    assert.ok(s?.memory !== undefined);
    assert.deepEqual(s.cpu, { usageNs: 2_500_000_000n, userNs: 2_000_000_000n, systemNs: 500_000_000n, periods: 10n, throttledPeriods: 3n, throttledNs: 7_000_000n });
    assert.equal(s.memory.usage, 104857600n);
    assert.equal(s.memory.workingSet, 104857600n - 10485760n);
    assert.equal(s.memory.limit, undefined);
    assert.equal(s.memory.maxUsage, 209715200n);
    assert.equal(s.memory.rss, 52428800n);
    assert.equal(s.memory.cache, 41943040n);
    assert.equal(s.memory.pageFaults, 1234n);
    assert.equal(s.memory.majorPageFaults, 5n);
    assert.equal(s.memory.failcnt, 4n);
    assert.equal(s.memory.oomKills, 1n);
    assert.equal(s.memory.swapUsage, 4096n);
    assert.equal(s.memory.swapLimit, 1048576n);
    assert.deepEqual(s.pids, { current: 7n, limit: undefined });
    assert.equal(s.processes, 2);
    assert.equal(reader.cpuUsage("/pod/c1"), 2_500_000_000n);
    assert.equal(reader.read("/pod/gone"), undefined);
    assert.deepEqual(reader.readUsage("/pod/c1"), usageOf(s), "readUsage gives exactly the full read's CRI fields");
    assert.equal(reader.readUsage("/pod/gone"), undefined);
  });
});

describe("cgroup v1", () => {
  it("reads each controller's hierarchy, total_* keys, memsw for swap and the unlimited marker", async () => {
    const root = await tree({
      "cpuacct/docker/c1/cpuacct.usage": "3000000000\n",
      "cpuacct/docker/c1/cpuacct.stat": "user 250\nsystem 50\n",
      "cpu/docker/c1/cpu.stat": "nr_periods 4\nnr_throttled 1\nthrottled_time 999\n",
      "memory/docker/c1/memory.usage_in_bytes": "8388608\n",
      "memory/docker/c1/memory.max_usage_in_bytes": "9437184\n",
      "memory/docker/c1/memory.limit_in_bytes": "9223372036854771712\n",
      "memory/docker/c1/memory.stat": "rss 1\ncache 2\ntotal_rss 4194304\ntotal_cache 2097152\ntotal_mapped_file 4096\ntotal_inactive_file 1048576\ntotal_active_file 8192\ntotal_pgfault 77\ntotal_pgmajfault 2\n",
      "memory/docker/c1/memory.memsw.usage_in_bytes": "8392704\n",
      "memory/docker/c1/memory.memsw.limit_in_bytes": "9223372036854771712\n",
      "memory/docker/c1/memory.failcnt": "0\n",
      "memory/docker/c1/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
      "pids/docker/c1/pids.current": "3\n",
      "pids/docker/c1/pids.max": "100\n",
      "pids/docker/c1/cgroup.procs": "1\n",
    });
    const mount = (c: string) => ({ mountPoint: join(root, c), root: "/", controllers: [c] });
    const reader = new CgroupReader({ version: 1, hierarchies: [mount("cpuacct"), mount("cpu"), mount("memory"), mount("pids")], systemd: undefined });
    const s = reader.read("/docker/c1", true);
    assert.ok(s?.memory !== undefined);
    assert.deepEqual(s.cpu, { usageNs: 3_000_000_000n, userNs: 2_500_000_000n, systemNs: 500_000_000n, periods: 4n, throttledPeriods: 1n, throttledNs: 999n });
    assert.equal(s.memory.workingSet, 8388608n - 1048576n);
    assert.equal(s.memory.limit, undefined, "v1's page-rounded maximum is unlimited");
    assert.equal(s.memory.rss, 4194304n);
    assert.equal(s.memory.swapUsage, 4096n);
    assert.equal(s.memory.swapLimit, undefined);
    assert.equal(s.memory.oomKills, 2n);
    assert.equal(s.memory.pageFaults, 77n);
    assert.deepEqual(s.pids, { current: 3n, limit: 100n });
    assert.equal(s.processes, 1);
    const usage = reader.readUsage("/docker/c1");
    assert.deepEqual(usage, usageOf(s), "readUsage gives exactly the full read's CRI fields");
    assert.equal(usage.memory?.rss, 4194304n, "total_rss, not the local rss line");
    assert.equal(reader.readUsage("/docker/gone"), undefined);
  });

  it("reads a limited, swap-accounted cgroup the same way in full and usage reads", async () => {
    const root = await tree({
      "cpuacct/docker/c2/cpuacct.usage": "5\n",
      "memory/docker/c2/memory.usage_in_bytes": "1000\n",
      "memory/docker/c2/memory.limit_in_bytes": "4096\n",
      "memory/docker/c2/memory.stat": "total_inactive_file 1500\ntotal_rss_huge 9\ntotal_rss 300\n",
      "memory/docker/c2/memory.memsw.usage_in_bytes": "1200\n",
      "memory/docker/c2/memory.memsw.limit_in_bytes": "8192\n",
    });
    const mount = (c: string) => ({ mountPoint: join(root, c), root: "/", controllers: [c] });
    const reader = new CgroupReader({ version: 1, hierarchies: [mount("cpuacct"), mount("memory")], systemd: undefined });
    const full = reader.read("/docker/c2");
    assert.ok(full !== undefined);
    const usage = reader.readUsage("/docker/c2");
    assert.deepEqual(usage, usageOf(full));
    assert.deepEqual(usage.memory, { usage: 1000n, workingSet: 0n, limit: 4096n, rss: 300n, pageFaults: 0n, majorPageFaults: 0n, swapUsage: 200n, swapLimit: 4096n });
    assert.equal(usage.pids, undefined, "no pids hierarchy mounted");
  });
});

describe("pseudo-file reads", () => {
  it("keyValue finds a whole line's first word only", () => {
    const text = "rss_huge 1\ntotal_rss 2\nrss 3\nxrss 4\ntotal_rss_huge 5";
    assert.equal(keyValue(text, "rss"), 3n);
    assert.equal(keyValue(text, "total_rss"), 2n);
    assert.equal(keyValue(text, "total_rss_huge"), 5n, "the last line, with no newline");
    assert.equal(keyValue(text, "huge"), undefined);
    assert.equal(keyValue("rss x\n", "rss"), undefined, "not a number");
  });

  it("reads a file bigger than the shared buffer whole, and the next small one right", async () => {
    const root = await tree({ "big": "x".repeat(100_000) + "end", "small": "7\n" });
    assert.equal(readPseudoFile(join(root, "big"))?.length, 100_003);
    assert.equal(readPseudoFile(join(root, "small")), "7\n");
    assert.equal(readPseudoFile(join(root, "missing")), undefined);
    assert.ok((readPseudoFile("/proc/self/status") ?? "").includes("Pid:"), "a real pseudo-file");
  });
});

describe("/proc/net/dev", () => {
  it("parses receive and transmit counters per interface", () => {
    const text = [
      "Inter-|   Receive                                                |  Transmit",
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
      "    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0",
      "  eth0:    2800      20    1    2    0     0          0         0     1400      10    3    4    0     0       0          0",
    ].join("\n");
    const [lo, eth0] = parseNetDev(text);
    assert.equal(lo?.name, "lo");
    assert.deepEqual(eth0, { name: "eth0", rxBytes: 2800n, rxPackets: 20n, rxErrors: 1n, rxDropped: 2n, txBytes: 1400n, txPackets: 10n, txErrors: 3n, txDropped: 4n });
    const odd = [
      "\tbig:18446744073709551615 9007199254740993\t0 0 0 0 0 0 123456789012345 1 2 3 0 0 0 0",
      "short: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
      " bad: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x",
      ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
      "wide: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
    ].join("\n");
    assert.deepEqual(parseNetDev(odd), [
      { name: "big", rxBytes: 18446744073709551615n, rxPackets: 9007199254740993n, rxErrors: 0n, rxDropped: 0n, txBytes: 123456789012345n, txPackets: 1n, txErrors: 2n, txDropped: 3n },
      { name: "wide", rxBytes: 1n, rxPackets: 2n, rxErrors: 3n, rxDropped: 4n, txBytes: 9n, txPackets: 10n, txErrors: 11n, txDropped: 12n },
    ], "counters past 2^53 exact, tabs and no space after the colon; short, non-numeric and nameless lines left out");
  });
});

describe("usage reads in one batch (readUsageMany)", () => {
  const v1Files = {
    "cpuacct/docker/c1/cpuacct.usage": "3000000000\n",
    "memory/docker/c1/memory.usage_in_bytes": "8388608\n",
    "memory/docker/c1/memory.limit_in_bytes": "4194304000\n",
    "memory/docker/c1/memory.stat": "total_rss 4194304\ntotal_inactive_file 1048576\ntotal_pgfault 77\ntotal_pgmajfault 2\n",
    "memory/docker/c1/memory.memsw.usage_in_bytes": "8392704\n",
    "memory/docker/c1/memory.memsw.limit_in_bytes": "8388608000\n",
    "pids/docker/c1/pids.current": "3\n",
    "cpuacct/docker/c2/cpuacct.usage": "5\n",
  };
  const v2Files = {
    "pod/c1/cpu.stat": "usage_usec 2500000\n",
    "pod/c1/memory.current": "104857600\n",
    "pod/c1/memory.max": "max\n",
    "pod/c1/memory.stat": "anon 52428800\ninactive_file 10485760\npgfault 1234\npgmajfault 5\n",
    "pod/c1/memory.swap.current": "4096\n",
    "pod/c1/memory.swap.max": "1048576\n",
    "pod/c1/pids.current": "7\n",
  };

  function readValues(): ReadValues {
    execFileSync(process.execPath, [new URL("../../scripts/build-addons.mjs", import.meta.url).pathname, "read-files"], { stdio: "inherit" });
    const loaded = loadReadFiles();
    assert.ok("readValues" in loaded, `the read-files addon loads: ${"unavailable" in loaded ? loaded.unavailable : ""}`);
    return loaded.readValues;
  }

  it("lists exactly the files the usage reads read, on v1 and v2", async () => {
    const v1 = await tree(v1Files);
    const v2 = await tree(v2Files);
    const dirs = { cpuacct: join(v1, "cpuacct/docker/c1"), cpu: undefined, memory: join(v1, "memory/docker/c1"), pids: join(v1, "pids/docker/c1") };
    // A plan's usage asks for every file it lists and no other.
    const recorded = (plan: UsagePlan): string[] => {
      const paths: string[] = [];
      plan.usage(textCounters(plan.files, (path) => { paths.push(path); return readPseudoFile(path); }));
      return paths.sort();
    };
    const v1plan = v1UsagePlan(dirs);
    assert.equal(v1plan.files.length, 7);
    assert.deepEqual(recorded(v1plan), v1plan.files.map((f) => f.path).sort());
    const v2plan = v2UsagePlan(join(v2, "pod/c1"));
    assert.equal(v2plan.files.length, 7);
    assert.deepEqual(recorded(v2plan), v2plan.files.map((f) => f.path).sort());
  });

  it("gives what readUsage gives, held or not, from one batch", async () => {
    const addon = readValues();
    const v1 = await tree(v1Files);
    const mount = (c: string) => ({ mountPoint: join(v1, c), root: "/", controllers: [c] });
    const layout = { version: 1 as const, hierarchies: [mount("cpuacct"), mount("memory"), mount("pids")], systemd: undefined };
    const names = ["/docker/c1", "/docker/c2", "/docker/gone", "/docker/c1"];
    const one = new CgroupReader(layout);
    const expected = new Map(names.map((n) => [n, one.readUsage(n)]));
    assert.ok(expected.get("/docker/c1")?.memory !== undefined);
    assert.equal(expected.get("/docker/gone"), undefined);
    assert.deepEqual(await one.readUsageMany(names), expected, "not held: one by one");
    const held = new CgroupReader(layout, { holdFiles: true, readValues: addon });
    assert.deepEqual(await held.readUsageMany(names), expected, "held, through the addon");
    await writeFile(join(v1, "cpuacct/docker/c2/cpuacct.usage"), "6\n");
    assert.equal((await held.readUsageMany(["/docker/c2"])).get("/docker/c2")?.cpu?.usageNs, 6n, "a held file read afresh");
    assert.deepEqual(await held.cpuUsageMany(["/docker/c1", "/docker/c2", "/docker/gone"]), new Map([["/docker/c1", 3_000_000_000n], ["/docker/c2", 6n], ["/docker/gone", undefined]]), "the sampler's batch");
    assert.deepEqual(await one.cpuUsageMany(["/docker/c1"]), new Map([["/docker/c1", 3_000_000_000n]]), "not held: one by one");
    // Each cgroup's plan is made once and kept while batches ask for it; one not asked for in 64 batches goes.
    assert.equal(held.plans, 3);
    for (let i = 0; i < 130; i++) await held.cpuUsageMany(["/docker/c2"]);
    assert.equal(held.plans, 1, "only the cgroup still read is kept");
    assert.equal((await held.readUsageMany(["/docker/c1"])).get("/docker/c1")?.cpu?.usageNs, 3_000_000_000n, "a forgotten cgroup is planned again");
    for (let i = 0; i < 130; i++) await one.readUsageMany(["/docker/c2"]);
    assert.equal(one.plans, 1, "the same when the files are not held");
    held.close();

    const v2 = await tree(v2Files);
    const unified = { version: 2 as const, unified: { mountPoint: v2, root: "/", controllers: [] } };
    const v2held = new CgroupReader(unified, { holdFiles: true, readValues: addon });
    assert.deepEqual(await v2held.readUsageMany(["/pod/c1", "/pod/gone"]), new Map([["/pod/c1", new CgroupReader(unified).readUsage("/pod/c1")], ["/pod/gone", undefined]]));
    assert.deepEqual(await v2held.cpuUsageMany(["/pod/c1", "/pod/gone"]), new Map([["/pod/c1", 2_500_000_000n], ["/pod/gone", undefined]]));
    v2held.close();
  });
});

describe("CgroupLocator", () => {
  it("answers a remembered cgroup without looking, and searches again once told it is gone", async () => {
    const root = await tree({ "memory/docker/c1/memory.usage_in_bytes": "1\n" });
    const reader = new CgroupReader({ version: 1, hierarchies: [{ mountPoint: join(root, "memory"), root: "/", controllers: ["memory"] }], systemd: undefined });
    const locator = new CgroupLocator(reader, "cgroupfs", join(root, "no-proc"));
    const owner = { id: "c1", cgroupParent: "", pid: 0 };
    assert.equal(locator.container(owner), "/docker/c1");
    await rm(join(root, "memory/docker/c1"), { recursive: true });
    assert.equal(locator.container(owner), "/docker/c1", "remembered: no filesystem lookup");
    locator.forget("c1");
    assert.equal(locator.container(owner), undefined, "searched again: nothing there");
    assert.equal(locator.container({ id: "c2", cgroupParent: "", pid: 0 }), undefined, "never found");
  });
});
