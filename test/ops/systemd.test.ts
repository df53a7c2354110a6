/**
 * docker-cri under systemd: the unit files in packaging/systemd, and the two protocols they rely on,
 * played by this test the way systemd does them — socket activation (the listening socket as fd 3
 * with LISTEN_PID/LISTEN_FDS) and Type=notify (READY=1/STOPPING=1 datagrams on NOTIFY_SOCKET, accepted
 * only from the main pid, which the notify sink checks through SO_PASSCRED).
 */
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { RuntimeService } from "../../src/gen/index.js";
import { criClient } from "../kit/cri-client.js";
import { repoRoot, startDaemon } from "../kit/daemon.js";
import { daemonNodeArgs } from "../kit/daemon-entry.js";
import { waitFor } from "../kit/wait-for.js";
import { startNotifySink, type NotifySink } from "./kit/notify-sink.js";

const execFileAsync = promisify(execFile);
const unitDir = join(repoRoot, "packaging", "systemd");

/** `[Section]` → key → values (a key may repeat), comments and blank lines dropped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf("=");
    assert.ok(current !== undefined && eq > 0, `unit line outside a section or without "=": ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

function value(unit: Map<string, Map<string, string[]>>, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.at(-1);
}

/** The listening fd of a net.Server: node keeps it on the handle (an internal, stable on Linux). */
function listeningFd(server: ReturnType<typeof createServer>): number {
  return (server as unknown as { _handle: { fd: number } })._handle.fd;
}

/** The pid in docker-cri's "Serving CRI" log lines, in order. */
function servingPids(stderr: string): number[] {
  const pids: number[] = [];
  for (const line of stderr.split("\n")) {
    if (!line.includes('"msg":"Serving CRI"')) continue;
    const parsed: unknown = JSON.parse(line);
    const pid: unknown = typeof parsed === "object" && parsed !== null ? Reflect.get(parsed, "pid") : undefined;
    if (typeof pid === "number") pids.push(pid);
  }
  return pids;
}

const daemonWait = { timeoutMs: 30_000 };

describe("packaging/systemd unit files", () => {
  it("docker-cri.service is Type=notify, restarts always, kills only its own process, delegates cgroups, and serves fd://", async () => {
    const unit = parseUnit(await readFile(join(unitDir, "docker-cri.service"), "utf8"));
    assert.equal(value(unit, "Service", "Type"), "notify");
    assert.equal(value(unit, "Service", "NotifyAccess"), "main");
    assert.equal(value(unit, "Service", "Restart"), "always");
    assert.equal(value(unit, "Service", "KillMode"), "process");
    assert.equal(value(unit, "Service", "Delegate"), "yes");
    assert.match(value(unit, "Service", "ExecStart") ?? "", /^\/usr\/local\/bin\/docker-cri .*--container-runtime-endpoint=fd:\/\/(\s|$)/);
    assert.match(value(unit, "Unit", "Requires") ?? "", /\bdocker-cri\.socket\b/);
    assert.match(value(unit, "Unit", "After") ?? "", /\bdocker\.service\b/);
    assert.equal(value(unit, "Install", "WantedBy"), "multi-user.target");
  });

  it("docker-cri.service gives Node the heap setting bench/results.md's figures were taken with, and Node takes it from NODE_OPTIONS", async () => {
    const unit = parseUnit(await readFile(join(unitDir, "docker-cri.service"), "utf8"));
    const env = unit.get("Service")?.get("Environment") ?? [];
    const nodeOptions = env.find((e) => e.startsWith("NODE_OPTIONS="))?.slice("NODE_OPTIONS=".length);
    assert.equal(nodeOptions, "--max-semi-space-size=1");
    // A flag Node refuses in NODE_OPTIONS would stop docker-cri from starting at all.
    const run = spawnSync(process.execPath, ["-e", "0"], { env: { ...process.env, NODE_OPTIONS: nodeOptions }, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, "");
  });

  it("docker-cri.socket listens on docker-cri's default socket, mode 0660, group docker, and survives service restarts", async () => {
    const unit = parseUnit(await readFile(join(unitDir, "docker-cri.socket"), "utf8"));
    assert.equal(value(unit, "Socket", "ListenStream"), "/run/docker-cri.sock");
    assert.equal(value(unit, "Socket", "SocketMode"), "0660");
    assert.equal(value(unit, "Socket", "SocketGroup"), "docker");
    assert.equal(value(unit, "Socket", "SocketUser"), "root");
    // PartOf=docker-cri.service would close the socket on every service restart.
    assert.equal(value(unit, "Unit", "PartOf"), undefined);
    assert.equal(value(unit, "Install", "WantedBy"), "sockets.target");
  });

  it("both units pass systemd-analyze verify", async (t) => {
    try {
      await execFileAsync("systemd-analyze", ["--version"]);
    } catch {
      t.skip("systemd-analyze is not installed");
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), "docker-cri-units-"));
    try {
      // verify insists that ExecStart exists; everything else is checked as shipped.
      const service = (await readFile(join(unitDir, "docker-cri.service"), "utf8")).replace(/^ExecStart=\/usr\/local\/bin\/docker-cri/m, "ExecStart=/bin/true");
      await writeFile(join(dir, "docker-cri.service"), service);
      await writeFile(join(dir, "docker-cri.socket"), await readFile(join(unitDir, "docker-cri.socket")));
      const { stderr } = await execFileAsync("systemd-analyze", ["verify", "--man=no", join(dir, "docker-cri.socket"), join(dir, "docker-cri.service")]);
      assert.equal(stderr.trim(), "", "systemd-analyze found problems");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("socket activation with NOTIFY_SOCKET", () => {
  let sink: NotifySink;
  before(async () => {
    await execFileAsync(process.execPath, [join(repoRoot, "scripts", "build-addons.mjs"), "sd-notify"]);
    sink = await startNotifySink();
  });
  after(async () => {
    await sink.close();
  });

  it("notifies READY=1 from the main pid once fd:// serves, STOPPING=1 on SIGTERM, and a restart on the same socket loses no call", async () => {
    const dir = await mkdtemp(join(tmpdir(), "docker-cri-systemd-"));
    const bound = join(dir, "bound.sock");
    const path = join(dir, "activated.sock");
    const listener = createServer();
    await new Promise<void>((res) => listener.listen(bound, res));
    const fd = listeningFd(listener);
    const args = ["--container-runtime-endpoint=fd://", `--cri-dockerd-root-directory=${join(dir, "root")}`, "--metrics-bind-address=", "--network-plugin="];
    // Plays systemd's socket unit and its Restart=: the outer shell holds the socket (fd 3) for its
    // whole life and starts docker-cri twice in a row; LISTEN_PID must be the daemon's own pid, which
    // the inner shell has and keeps through exec.
    const inner = 'LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=docker-cri.socket exec "$0" "$@"';
    const outer = `for run in 1 2; do /bin/sh -c '${inner}' "$@"; done`;
    const proc = spawn("/bin/sh", ["-c", outer, "systemd", process.execPath, ...(await daemonNodeArgs()), ...args], {
      cwd: repoRoot,
      env: { ...process.env, NOTIFY_SOCKET: sink.path },
      stdio: ["ignore", "ignore", "pipe", fd],
    });
    let stderr = "";
    proc.stderr?.setEncoding("utf8");
    proc.stderr?.on("data", (chunk: string) => { stderr += chunk; });
    const exited = new Promise<number | null>((res) => proc.once("exit", res));
    // Only the daemons accept from now on; the socket file moves so that closing ours cannot unlink it.
    await rename(bound, path);
    listener.close();
    const first = criClient(path);
    const second = criClient(path);
    try {
      const pid1 = await waitFor("the first daemon to serve", () => servingPids(stderr)[0], daemonWait);
      const ready1 = await sink.waitFor(/^READY=1/);
      assert.equal(ready1.pid, pid1, "READY=1 must come from the main process (NotifyAccess=main)");
      assert.match(ready1.text, /\nSTATUS=Serving CRI on fd:\/\//);
      assert.equal((await first.call(RuntimeService.method.version, {})).runtimeName, "docker");
      assert.match(stderr, /"endpoint":"fd:\/\/3"/);

      process.kill(pid1, "SIGTERM");
      const stopping = await sink.waitFor(/^STOPPING=1/);
      assert.equal(stopping.pid, pid1);
      assert.ok(sink.messages.indexOf(stopping) > sink.messages.indexOf(ready1), "STOPPING=1 comes after READY=1");
      await waitFor("the first daemon to stop", () => stderr.includes('"msg":"Stopped"'), daemonWait);

      // Between the two runs nobody accepts: the connection waits in the socket's backlog, as it does
      // while systemd restarts the service, and the second daemon answers it.
      const version = await second.call(RuntimeService.method.version, {}, { deadlineMs: 30_000 });
      assert.equal(version.runtimeName, "docker");
      const pid2 = await waitFor("the second daemon to serve", () => servingPids(stderr)[1], daemonWait);
      assert.notEqual(pid2, pid1);
      const ready2 = await waitFor("READY=1 from the second daemon", () => sink.messages.find((m) => m.pid === pid2 && m.text.startsWith("READY=1")), daemonWait);
      assert.ok(ready2);
      process.kill(pid2, "SIGTERM");
      assert.equal(await exited, 0, stderr);
    } finally {
      first.close();
      second.close();
      proc.kill("SIGKILL");
      for (const pid of servingPids(stderr)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps serving when NOTIFY_SOCKET cannot be used, and says why in its log", async () => {
    const d = await startDaemon({ env: { NOTIFY_SOCKET: "relative/notify.sock" } });
    try {
      const client = d.client();
      assert.equal((await client.call(RuntimeService.method.version, {})).runtimeName, "docker");
      await waitFor("the notify error line", () => d.stderr().includes("Cannot notify systemd"), { timeoutMs: 10_000 });
      assert.match(d.stderr(), /"level":"error".*"notifySocket":"relative\/notify.sock".*Cannot notify systemd: NOTIFY_SOCKET is neither an absolute path nor an abstract socket/);
    } finally {
      assert.equal(await d.stop(), 0);
      await d.cleanup();
    }
  });
});
