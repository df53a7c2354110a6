/**
 * A private dockerd beside the shared one on /var/run/docker.sock, which serves everyone else's tests
 * and is never touched: the outage tests stop and start it, and `npm run test:engines` runs the end
 * to end suites against newer engines in it (scripts/engines.sh fetches them; `binDir` puts one first
 * on PATH, so dockerd, its managed containerd and their shims all come from there).
 *
 * Everything of it lives under one temp directory — its socket, --data-root, --exec-root (where
 * dockerd starts its own managed containerd, with its own socket, state and shims' runc root, apart
 * from the system's), pidfile and its own config file (so no /etc/docker/daemon.json applies; the
 * containerd image store and extra keys go there) — plus a cgroup parent and a bridge named after the
 * run. Never `--bridge=none`: dockerd then deletes the host's docker0 interface at start-up (moby's
 * removeDefaultBridgeInterface), which breaks the shared dockerd's networking. It gets its own bridge
 * instead (`--bridge=dcrd…`, created here on a free 10.96.<n>.1/24, removed by `dispose`), and no
 * iptables rules, masquerading or ip_forward changes, so it changes nothing else in the host's network.
 *
 * Images: `loadImages` copies them from the shared daemon (`GET /images/get` → `POST /images/load`),
 * so it needs no registry. `dispose` stops it, unmounts anything left under its directory, removes the
 * directory, its bridge and its cgroups, even after a failure.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnSync } from "node:child_process";
import { DEFAULT_DOCKER_SOCKET, dockerJson, dockerRequest, isRecord } from "./docker-api.js";
import { waitFor } from "./wait-for.js";

export interface PrivateDockerdOptions {
  /** A directory put first on dockerd's PATH: dockerd itself, containerd, the shims, runc. */
  readonly binDir?: string;
  /** `"features": {"containerd-snapshotter": true}`: the containerd image store (default off). */
  readonly containerdStore?: boolean;
  /** More daemon.json keys, merged over the ones above. */
  readonly daemonConfig?: Readonly<Record<string, unknown>>;
  /** `--log-level`, default warn. */
  readonly logLevel?: "debug" | "info" | "warn" | "error";
}

export interface PrivateDockerd {
  readonly dir: string;
  readonly socketPath: string;
  /** `unix://…`, for --docker-endpoint. */
  readonly endpoint: string;
  /**
   * Starts dockerd (again) and resolves once it answers /_ping. `binDir` replaces the option for this
   * start and the later ones: the same data root under another engine, as an upgrade does.
   */
  start(binDir?: string): Promise<void>;
  /** SIGTERM, and waits until it (and its containerd) exited. */
  stop(): Promise<void>;
  /**
   * SIGSTOP / SIGCONT: a daemon that hangs instead of refusing connections. Resolves once every thread
   * of dockerd is stopped: a thread running on another CPU can otherwise still answer a request that
   * arrives in the next few milliseconds.
   */
  freeze(): Promise<void>;
  thaw(): void;
  /** Resolves true once /_ping answers, false at the deadline. */
  answers(timeoutMs: number): Promise<boolean>;
  /** Copies images from the shared daemon (or the daemon at `fromSocket`). */
  loadImages(refs: readonly string[], fromSocket?: string): Promise<void>;
  /** `GET /version` and the image store, once it answers. */
  describe(): Promise<EngineDescription>;
  /** Its own log (stdout and stderr), for failure messages. */
  log(): Promise<string>;
  dispose(): Promise<void>;
}

export interface EngineDescription {
  /** "28.5.2+dfsg4" */
  readonly version: string;
  /** "1.51" */
  readonly apiVersion: string;
  /** Where images live: Docker's own graph driver store, or containerd's snapshotter. */
  readonly imageStore: "classic" | "containerd";
}

export async function createPrivateDockerd(options: PrivateDockerdOptions = {}): Promise<PrivateDockerd> {
  const dir = await mkdtemp(join(tmpdir(), "dcri-dockerd-"));
  const id = randomBytes(4).toString("hex");
  const cgroupParent = `docker-cri-private-${id}`;
  const bridge = `dcrd${id}`;
  const subnet = freeSubnet(parseInt(id.slice(0, 2), 16));
  const bridgeUp = spawnSync("sh", ["-c", `ip link add ${bridge} type bridge && ip addr add ${subnet} dev ${bridge} && ip link set ${bridge} up`], { encoding: "utf8" });
  if (bridgeUp.status !== 0) {
    spawnSync("ip", ["link", "delete", bridge]);
    await rm(dir, { recursive: true, force: true });
    throw new Error(`Cannot create the private dockerd's bridge ${bridge}: ${bridgeUp.stderr}`);
  }
  const socketPath = join(dir, "docker.sock");
  const logPath = join(dir, "dockerd.log");
  const config: Record<string, unknown> = options.containerdStore === true ? { features: { "containerd-snapshotter": true } } : {};
  await writeFile(join(dir, "daemon.json"), `${JSON.stringify({ ...config, ...options.daemonConfig })}\n`);
  const envFor = (binDir: string | undefined): NodeJS.ProcessEnv => (binDir === undefined ? process.env : { ...process.env, PATH: `${binDir}:${process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"}` });
  let currentBinDir = options.binDir;
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const ping = async (timeoutMs: number): Promise<boolean> => {
    try {
      const res = await dockerRequest({ method: "GET", path: "/_ping", socketPath, timeoutMs });
      return res.status === 200;
    } catch {
      return false;
    }
  };

  const self: PrivateDockerd = {
    dir,
    socketPath,
    endpoint: `unix://${socketPath}`,
    async start(binDir) {
      if (binDir !== undefined) currentBinDir = binDir;
      const { openSync } = await import("node:fs");
      const out = openSync(logPath, "a");
      proc = spawn(
        currentBinDir === undefined ? "dockerd" : join(currentBinDir, "dockerd"),
        [
          `--host=unix://${socketPath}`,
          `--data-root=${join(dir, "data")}`,
          `--exec-root=${join(dir, "exec")}`,
          `--pidfile=${join(dir, "docker.pid")}`,
          `--config-file=${join(dir, "daemon.json")}`,
          `--cgroup-parent=/${cgroupParent}`,
          `--bridge=${bridge}`,
          "--iptables=false",
          "--ip-masq=false",
          "--ip-forward=false",
          `--log-level=${options.logLevel ?? "warn"}`,
        ],
        { stdio: ["ignore", out, out], env: envFor(currentBinDir) },
      );
      const child = proc;
      exited = new Promise((resolve) => { child.once("exit", () => { resolve(); }); });
      // Generous: a restart on a loaded machine, with containers to clean up after, was seen to take
      // over 30 s before its managed containerd answered (test/soak).
      if (!(await self.answers(120_000))) throw new Error(`the private dockerd did not answer within 120 s:\n${await self.log()}`);
    },
    async stop() {
      const child = proc;
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(killer);
      proc = undefined;
    },
    async freeze() {
      const pid = proc?.pid;
      if (pid === undefined) return;
      proc?.kill("SIGSTOP");
      await waitFor(`dockerd (pid ${pid}) to stop after SIGSTOP`, () => allThreadsStopped(pid), { timeoutMs: 5_000, intervalMs: 5 });
    },
    thaw() {
      proc?.kill("SIGCONT");
    },
    async answers(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (await ping(1_000)) return true;
        await sleep(50);
      }
      return false;
    },
    async loadImages(refs, fromSocket = DEFAULT_DOCKER_SOCKET) {
      const query = refs.map((r) => `names=${encodeURIComponent(r)}`).join("&");
      const tar = await dockerRequest({ method: "GET", path: `/images/get?${query}`, socketPath: fromSocket });
      if (tar.status !== 200) throw new Error(`docker save of ${refs.join(", ")} answered ${tar.status}`);
      const loaded = await dockerRequest({ method: "POST", path: "/images/load", query: { quiet: "1" }, body: tar.body, socketPath });
      if (loaded.status !== 200) throw new Error(`docker load answered ${loaded.status}: ${loaded.body.toString()}`);
    },
    async describe() {
      const version = await dockerJson({ method: "GET", path: "/version", socketPath });
      const info = await dockerJson({ method: "GET", path: "/info", socketPath });
      return describeEngine(version, info);
    },
    async log() {
      return readFile(logPath, "utf8").catch(() => "");
    },
    async dispose() {
      await self.stop().catch(() => undefined);
      // Its containerd and shims exit with it. After a SIGKILL (a dockerd that would not stop) they may
      // not: shims and containers of its own are found by its directory and its cgroup parent.
      await killLeftovers(dir, cgroupParent);
      // Whatever was still mounted under the directory goes now.
      const mounts = (await readFile("/proc/mounts", "utf8")).split("\n").map((l) => l.split(" ")[1] ?? "").filter((m) => m.startsWith(dir));
      for (const m of mounts.reverse()) spawnSync("umount", ["-l", m]);
      await rm(dir, { recursive: true, force: true });
      spawnSync("ip", ["link", "delete", bridge]);
      for (const hierarchy of await readdir("/sys/fs/cgroup").catch(() => [])) {
        await removeCgroupTree(join("/sys/fs/cgroup", hierarchy, cgroupParent));
      }
    },
  };
  return self;
}

/** Version, API version and image store from the answers of `GET /version` and `GET /info`. */
export function describeEngine(version: unknown, info: unknown): EngineDescription {
  if (!isRecord(version) || typeof version.Version !== "string" || typeof version.ApiVersion !== "string") {
    throw new Error(`Unexpected GET /version answer: ${JSON.stringify(version)}`);
  }
  // With the containerd image store, `docker info` shows "driver-type: io.containerd.snapshotter.v1"
  // in DriverStatus (API ≥ 1.44); the classic store shows the graph driver's own status.
  const driverStatus = isRecord(info) && Array.isArray(info.DriverStatus) ? info.DriverStatus : [];
  const containerd = driverStatus.some((row) => Array.isArray(row) && row[0] === "driver-type" && row[1] === "io.containerd.snapshotter.v1");
  return { version: version.Version, apiVersion: version.ApiVersion, imageStore: containerd ? "containerd" : "classic" };
}

/**
 * A 10.96.<n>.1/24 that no interface of the host has yet, starting at the n derived from the run id:
 * two private daemons at once (the outage tests beside `npm run test:engines`) must not share one.
 */
function freeSubnet(seed: number): string {
  const used = spawnSync("ip", ["-4", "-o", "addr", "show"], { encoding: "utf8" }).stdout;
  for (let i = 0; i < 254; i++) {
    const n = 1 + ((seed + i) % 254);
    if (!used.includes(` 10.96.${n}.`)) return `10.96.${n}.1/24`;
  }
  throw new Error("No free 10.96.<n>.0/24 subnet for a private dockerd's bridge");
}

/** SIGKILL to processes whose command line names `dir` and to those in the cgroup `cgroupParent`. */
async function killLeftovers(dir: string, cgroupParent: string): Promise<void> {
  const pids = new Set<number>();
  for (const entry of await readdir("/proc").catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(dir)) pids.add(Number(entry));
  }
  for (const hierarchy of await readdir("/sys/fs/cgroup").catch(() => [])) {
    for (const pid of await cgroupTreeProcs(join("/sys/fs/cgroup", hierarchy, cgroupParent))) pids.add(pid);
  }
  pids.delete(process.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  if (pids.size > 0) await sleep(200);
}

async function cgroupTreeProcs(path: string): Promise<number[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
  if (entries === undefined) return [];
  const own = (await readFile(join(path, "cgroup.procs"), "utf8").catch(() => "")).split("\n").filter((l) => l !== "").map(Number);
  const below = await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => cgroupTreeProcs(join(path, e.name))));
  return [...own, ...below.flat()];
}

/** rmdir of a cgroup and its children, deepest first (cgroup directories are removed with rmdir only). */
async function removeCgroupTree(path: string): Promise<void> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
  if (entries === undefined) return;
  for (const e of entries) if (e.isDirectory()) await removeCgroupTree(join(path, e.name));
  await rmdir(path).catch(() => undefined);
}

/** True when every thread of `pid` is in the stopped state ("T" in /proc/<pid>/task/<tid>/stat). */
async function allThreadsStopped(pid: number): Promise<boolean> {
  const tids = await readdir(`/proc/${pid}/task`).catch(() => []);
  if (tids.length === 0) return false;
  for (const tid of tids) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, "utf8").catch(() => "");
    // The state follows the command name, which is in parentheses and may itself hold spaces.
    if (stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "T") return false;
  }
  return true;
}
