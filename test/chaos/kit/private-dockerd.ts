/**
 * A second, private dockerd for the outage tests, which stop and start it: the shared one on
 * /var/run/docker.sock serves everyone else's tests and is never touched. Everything of it lives under
 * one temp directory — its socket, --data-root, --exec-root (where dockerd 20.10 starts its own managed
 * containerd, with its own socket, state and shims' runc root, apart from the system's), pidfile and
 * an empty config file (so no /etc/docker/daemon.json applies) — plus a cgroup parent and a bridge
 * named after the run. Never `--bridge=none`: dockerd then deletes the host's docker0 interface at
 * start-up (moby's removeDefaultBridgeInterface), which breaks the shared dockerd's networking. It gets
 * its own bridge instead (`--bridge=dcrd…`, created here on 10.96.<n>.1/24, removed by `dispose`), and
 * no iptables rules or masquerading, so it changes nothing else in the host's network.
 *
 * The test images are copied from the shared daemon (`GET /images/get` → `POST /images/load`), so it
 * needs no registry. `dispose` stops it, unmounts anything left under its directory, removes the
 * directory and its cgroups, even after a failure.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnSync } from "node:child_process";
import { dockerRequest } from "../../kit/docker-api.js";

export interface PrivateDockerd {
  readonly dir: string;
  readonly socketPath: string;
  /** `unix://…`, for --docker-endpoint. */
  readonly endpoint: string;
  /** Starts dockerd (again) and resolves once it answers /_ping. */
  start(): Promise<void>;
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
  /** Copies images from the shared daemon. */
  loadImages(refs: readonly string[]): Promise<void>;
  /** Its own log (stdout and stderr), for failure messages. */
  log(): Promise<string>;
  dispose(): Promise<void>;
}

export async function createPrivateDockerd(): Promise<PrivateDockerd> {
  const dir = await mkdtemp(join(tmpdir(), "dcri-dockerd-"));
  const id = randomBytes(4).toString("hex");
  const cgroupParent = `docker-cri-chaos-${id}`;
  const bridge = `dcrd${id}`;
  const bridgeUp = spawnSync("sh", ["-c", `ip link add ${bridge} type bridge && ip addr add 10.96.${1 + (parseInt(id.slice(0, 2), 16) % 254)}.1/24 dev ${bridge} && ip link set ${bridge} up`], { encoding: "utf8" });
  if (bridgeUp.status !== 0) throw new Error(`cannot create the private dockerd's bridge ${bridge}: ${bridgeUp.stderr}`);
  const socketPath = join(dir, "docker.sock");
  const logPath = join(dir, "dockerd.log");
  await writeFile(join(dir, "daemon.json"), "{}\n");
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
    async start() {
      const { openSync } = await import("node:fs");
      const out = openSync(logPath, "a");
      proc = spawn(
        "dockerd",
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
          "--log-level=warn",
        ],
        { stdio: ["ignore", out, out] },
      );
      const child = proc;
      exited = new Promise((resolve) => { child.once("exit", () => { resolve(); }); });
      if (!(await self.answers(30_000))) throw new Error(`the private dockerd did not answer within 30 s:\n${await self.log()}`);
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
      const deadline = Date.now() + 5_000;
      while (!(await allThreadsStopped(pid))) {
        if (Date.now() > deadline) throw new Error(`dockerd (pid ${pid}) did not stop within 5 s of SIGSTOP`);
        await sleep(5);
      }
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
    async loadImages(refs) {
      const query = refs.map((r) => `names=${encodeURIComponent(r)}`).join("&");
      const tar = await dockerRequest({ method: "GET", path: `/images/get?${query}` });
      if (tar.status !== 200) throw new Error(`docker save of ${refs.join(", ")} answered ${tar.status}`);
      const loaded = await dockerRequest({ method: "POST", path: "/images/load", query: { quiet: "1" }, body: tar.body, socketPath });
      if (loaded.status !== 200) throw new Error(`docker load answered ${loaded.status}: ${loaded.body.toString()}`);
    },
    async log() {
      return readFile(logPath, "utf8").catch(() => "");
    },
    async dispose() {
      await self.stop().catch(() => undefined);
      // Its containerd and shims exit with it; whatever was still mounted under the directory goes now.
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
