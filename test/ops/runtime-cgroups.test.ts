/**
 * The container manager (--runtime-cgroups) on this machine's real cgroup v1 hierarchy. It must never
 * touch the shared dockerd: the "runtime" here is two copies of sleep under unique names that this
 * test starts, one found through a pid file and one by name, and the cgroup is one this test creates
 * and removes.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { RuntimeService } from "../../src/gen/index.js";
import { cgroupDir, readCgroupLayout, RuntimeCgroupManager, type CgroupMount } from "../../src/host/index.js";
import { createLogger, type Logger } from "../../src/logger/index.js";
import { apiPath, startFakeEngine } from "../fakes/fake-engine.js";
import { startDaemon } from "../kit/daemon.js";
import { waitFor } from "../kit/wait-for.js";

const layout = await readCgroupLayout().catch(() => undefined);
const usable = layout?.version === 1 && process.getuid?.() === 0;
const skip = usable ? false : "needs root and a cgroup v1 hierarchy";

function capturingLogger(): { log: Logger; lines: () => string[] } {
  const stream = new PassThrough();
  let text = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => { text += chunk; });
  return { log: createLogger("debug", stream), lines: () => text.split("\n").filter((l) => l !== "") };
}

async function procCgroup(pid: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of (await readFile(`/proc/${pid}/cgroup`, "utf8")).split("\n")) {
    const [, controllers, path] = line.split(":");
    if (controllers !== undefined && path !== undefined) out.set(controllers, path);
  }
  return out;
}

async function oomScoreAdj(pid: number): Promise<number> {
  return Number((await readFile(`/proc/${pid}/oom_score_adj`, "utf8")).trim());
}

describe("runtime cgroup manager on cgroup v1", { skip }, () => {
  const runId = randomBytes(3).toString("hex");
  const cgroupName = `/docker-cri-test-${runId}`;
  // Kernel comm names keep 15 characters; these are 12.
  const dockerdName = `dcri-${runId}d`;
  const containerdName = `dcri-${runId}c`;
  let dir: string;
  let pidFile: string;
  let dockerd: ChildProcess;
  let containerd: ChildProcess;
  const hierarchies = (): readonly CgroupMount[] => (layout?.version === 1 ? layout.hierarchies : []);
  const memoryMount = (): CgroupMount => {
    const m = hierarchies().find((h) => h.controllers.includes("memory"));
    assert.ok(m, "no memory hierarchy");
    return m;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "docker-cri-runtime-cgroups-"));
    const spawnCopy = async (name: string): Promise<ChildProcess> => {
      await copyFile("/bin/sleep", join(dir, name));
      const child = spawn(join(dir, name), ["600"], { stdio: "ignore" });
      await new Promise<void>((res, rej) => { child.once("spawn", res); child.once("error", rej); });
      // A high score, so that lowering it shows; raising needs no privilege.
      await writeFile(`/proc/${child.pid}/oom_score_adj`, "500");
      return child;
    };
    dockerd = await spawnCopy(dockerdName);
    containerd = await spawnCopy(containerdName);
    pidFile = join(dir, "dockerd.pid");
    await writeFile(pidFile, `${dockerd.pid}\n`);
  });

  after(async () => {
    for (const child of [dockerd, containerd]) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((res) => child.once("exit", res));
        child.kill("SIGKILL");
        await exited;
      }
    }
    // A cgroup can be removed once its last task is gone; the kernel may take a moment to notice.
    for (const mount of hierarchies()) {
      const path = cgroupDir(mount, cgroupName);
      for (let i = 0; ; i++) {
        try {
          await rmdir(path);
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code; // rmdir rejects with errno errors
          if (code === "ENOENT") break;
          if (i > 40) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  const processes = (): { label: string; pidFile?: string; names: string[] }[] => [
    { label: "dockerd", pidFile, names: [dockerdName] },
    { label: "containerd", names: [containerdName] },
  ];

  it("moves the runtime into the cgroup in every resource hierarchy, with 70 % of the host's memory, and lowers its OOM score as far as the host allows", async () => {
    const { log, lines } = capturingLogger();
    const manager = await RuntimeCgroupManager.create({ cgroupName, driver: "cgroupfs", log, processes: processes() });
    const ownBefore = await procCgroup(process.pid);
    const report = await manager.ensure();
    assert.deepEqual(report.errors, []);
    assert.deepEqual(report.pids.map((p) => [p.label, p.pid, p.moved]), [["dockerd", dockerd.pid, true], ["containerd", containerd.pid, true]]);

    for (const pid of [dockerd.pid, containerd.pid]) {
      assert.ok(pid !== undefined);
      const cgroups = await procCgroup(pid);
      for (const mount of hierarchies()) assert.equal(cgroups.get(mount.controllers.join(",")), cgroupName, `pid ${pid} in ${mount.controllers.join(",")}`);
      // systemd's bookkeeping hierarchy holds no limits and is left alone.
      if (cgroups.has("name=systemd")) assert.equal(cgroups.get("name=systemd"), ownBefore.get("name=systemd"));
      const oom = await oomScoreAdj(pid);
      assert.ok(oom < 500, `oom_score_adj ${oom} was lowered`);
      if (oom > -999) {
        // The floor: one lower is refused, so the manager went as low as this host allows.
        await assert.rejects(writeFile(`/proc/${pid}/oom_score_adj`, String(oom - 1)), (err: NodeJS.ErrnoException) => err.code === "EACCES" || err.code === "EPERM");
      }
    }
    const limit = Number((await readFile(`${cgroupDir(memoryMount(), cgroupName)}/memory.limit_in_bytes`, "utf8")).trim());
    const wanted = Math.floor(totalmem() * 0.7);
    assert.ok(Math.abs(limit - wanted) < 64 * 1024, `memory.limit_in_bytes ${limit} is 70 % of ${totalmem()}`);
    assert.equal(manager.memoryLimitBytes, Math.max(wanted, 150 * 1024 * 1024));
    // A new cpuset cgroup gets its parent's CPUs and memory nodes, or it could hold no task.
    const cpuset = hierarchies().find((h) => h.controllers.includes("cpuset"));
    if (cpuset !== undefined) {
      assert.equal((await readFile(`${cgroupDir(cpuset, cgroupName)}/cpuset.cpus`, "utf8")).trim(), (await readFile(`${cpuset.mountPoint}/cpuset.cpus`, "utf8")).trim());
    }
    assert.deepEqual(await procCgroup(process.pid), ownBefore, "the test process itself was not moved");
    assert.equal(lines().filter((l) => l.includes("Moved the container runtime into its cgroup")).length, 2);
  });

  it("puts a runtime that left back within one check, and never takes a stale pid file's process", async () => {
    const { log, lines } = capturingLogger();
    // A pid file that names a live process of another name (our own): it must not be moved; the
    // manager falls back to the name.
    await writeFile(pidFile, `${process.pid}\n`);
    const manager = await RuntimeCgroupManager.create({ cgroupName, driver: "cgroupfs", log, processes: processes(), intervalMs: 200 });
    const pid = dockerd.pid;
    assert.ok(pid !== undefined);
    const ownBefore = await procCgroup(process.pid);
    manager.start();
    try {
      // The first check finds everything in place (the previous test put it there).
      await waitFor("the first check", () => lines().some((l) => l.includes("Container runtime is in its cgroup")));
      assert.ok(!lines().some((l) => l.includes("Moved the container runtime")));
      // dockerd "restarts" elsewhere: back to the root of the memory hierarchy. A later check moves it back.
      await writeFile(`${memoryMount().mountPoint}/cgroup.procs`, String(pid));
      assert.equal((await procCgroup(pid)).get("memory"), "/");
      await waitFor("dockerd back in its cgroup", async () => (await procCgroup(pid)).get("memory") === cgroupName);
    } finally {
      await manager.stop();
      await writeFile(pidFile, `${dockerd.pid}\n`);
    }
    assert.deepEqual(await procCgroup(process.pid), ownBefore, "the pid file's process (this test) was not moved");
    assert.ok(lines().some((l) => l.includes("Moved the container runtime into its cgroup") && l.includes(`"pid":${pid}`)));
  });

  it("reports what it cannot do and carries on, without throwing", async () => {
    const { log, lines } = capturingLogger();
    const manager = await RuntimeCgroupManager.create({
      cgroupName,
      driver: "cgroupfs",
      log,
      processes: [{ label: "ghost", pidFile: join(dir, "missing.pid"), names: [`dcri-${runId}x`] }, { label: "containerd", names: [containerdName] }],
    });
    const report = await manager.ensure();
    assert.equal(report.errors.length, 1);
    assert.match(report.errors[0] ?? "", new RegExp(`^Cannot find ghost: no live process in ".*missing\\.pid" and no process named "dcri-${runId}x"$`));
    assert.deepEqual(report.pids.map((p) => p.label), ["containerd"], "the other process is still handled");
    assert.ok(lines().some((l) => l.includes('"level":"warn"') && l.includes("Cannot keep the container runtime in its cgroup: Cannot find ghost")));
  });
});

describe("--runtime-cgroups in the daemon", () => {
  it("logs a cgroup it cannot manage and serves anyway (fake engine with the systemd driver, so no real process is touched)", async () => {
    // Start-up may list containers (recovery); an empty engine answers with none.
    const engine = await startFakeEngine([{ method: "GET", path: apiPath("/containers/json"), json: [] }], { cgroupDriver: "systemd" });
    const d = await startDaemon({ args: [`--docker-endpoint=${engine.endpoint}`, "--runtime-cgroups=/docker-cri-test-not-a-unit"] }).catch(async (err: unknown) => {
      await engine.close();
      throw err;
    });
    try {
      const v = await d.client().call(RuntimeService.method.version, {});
      assert.equal(v.runtimeName, "docker");
      const line = d.stderr().split("\n").find((l) => l.includes('"runtimeCgroups"'));
      assert.ok(line !== undefined, d.stderr());
      const entry = JSON.parse(line) as Record<string, unknown>; // a pino line is one JSON object
      assert.equal(entry.level, "error");
      assert.match(String(entry.msg), /^Cannot manage the container runtime's cgroup: Invalid --runtime-cgroups "\/docker-cri-test-not-a-unit" for the systemd cgroup driver/);
    } finally {
      assert.equal(await d.stop(), 0);
      await d.cleanup();
      await engine.close();
    }
  });
});
