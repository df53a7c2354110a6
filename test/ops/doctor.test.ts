/**
 * `docker-cri doctor`, run as an operator runs it, against the real dockerd, a fake engine for what the
 * real one cannot be made to report (another log driver, another cgroup driver), and temp directories
 * for CNI and sockets.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiPath, startFakeEngine } from "../fakes/fake-engine.js";
import { repoRoot } from "../kit/daemon.js";
import { daemonNodeArgs } from "../kit/daemon-entry.js";
import { dockerJson, isRecord } from "../kit/docker-api.js";

interface DoctorRun {
  readonly code: number;
  readonly out: string;
  /** The report's lines by check name: "ok", "WARN" or "FAIL" and the rest of the line. */
  readonly checks: Map<string, { status: string; text: string }>;
}

async function doctor(args: string[]): Promise<DoctorRun> {
  const nodeArgs = await daemonNodeArgs();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...nodeArgs, "doctor", ...args], { cwd: repoRoot, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
      if (code === -1) {
        reject(new Error(`doctor did not run: ${err?.message ?? ""}\n${stderr}`));
        return;
      }
      const checks = new Map<string, { status: string; text: string }>();
      for (const line of stdout.split("\n")) {
        const m = /^ {2}(ok|WARN|FAIL) +([^:]+): (.*)$/.exec(line);
        if (m?.[1] !== undefined && m[2] !== undefined && m[3] !== undefined) checks.set(m[2], { status: m[1], text: m[3] });
      }
      resolve({ code, out: stdout + stderr, checks });
    });
  });
}

function check(run: DoctorRun, name: string): { status: string; text: string } {
  const c = run.checks.get(name);
  assert.ok(c !== undefined, `no "${name}" line in:\n${run.out}`);
  return c;
}

describe("docker-cri doctor", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "docker-cri-doctor-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reports a healthy host: Docker and its API version, cgroups, log driver, network, socket and OOM scores", async () => {
    const version: unknown = await dockerJson({ method: "GET", path: "/version" });
    const info: unknown = await dockerJson({ method: "GET", path: "/info" });
    assert.ok(isRecord(version) && isRecord(info));
    const run = await doctor(["--network-plugin=", `--container-runtime-endpoint=unix://${join(dir, "healthy.sock")}`]);
    assert.equal(run.code, 0, run.out);
    const docker = check(run, "Docker");
    assert.equal(docker.status, "ok");
    assert.ok(docker.text.includes(`Docker ${String(version.Version)} answers at unix:///var/run/docker.sock, API ${String(version.ApiVersion)}`), docker.text);
    const cgroups = check(run, "Cgroups");
    assert.equal(cgroups.status, "ok");
    assert.ok(cgroups.text.includes(`"${String(info.CgroupDriver)}" cgroup driver on cgroup v${typeof info.CgroupVersion === "string" && info.CgroupVersion !== "" ? info.CgroupVersion : "1"}`), cgroups.text);
    assert.equal(check(run, "Log driver").status, info.LoggingDriver === "json-file" ? "ok" : "FAIL");
    assert.equal(check(run, "Network").status, "ok");
    assert.match(check(run, "CRI socket").text, /does not exist yet; docker-cri creates it with mode 0660/);
    // This host's answer depends on CAP_SYS_RESOURCE, which /proc/self/status tells.
    const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(await readFile("/proc/self/status", "utf8"))?.[1] ?? "0";
    const canLower = ((BigInt(`0x${capEff}`) >> 24n) & 1n) === 1n;
    const oom = check(run, "OOM scores");
    assert.equal(oom.status, canLower ? "ok" : "WARN");
    assert.match(oom.text, canLower ? /negative oom_score_adj values are allowed/ : /negative oom_score_adj values are not allowed here \(no CAP_SYS_RESOURCE/);
    assert.match(run.out, /^(Everything docker-cri needs is in place\.|No problems that stop docker-cri; \d+ warnings?\.)$/m);
  });

  it("fails on missing CNI plugins and an unreachable Docker, naming them, and exits 1", async () => {
    const conf = join(dir, "net.d");
    const bin = join(dir, "bin");
    await mkdir(conf, { recursive: true });
    await mkdir(bin, { recursive: true });
    await writeFile(join(conf, "10-test.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "testnet", plugins: [{ type: "bridge" }, { type: "portmap" }] }));
    await writeFile(join(bin, "bridge"), "#!/bin/sh\n");
    await chmod(join(bin, "bridge"), 0o755);
    const run = await doctor(["--network-plugin=cni", `--cni-conf-dir=${conf}`, `--cni-bin-dir=${bin}`, `--docker-endpoint=unix://${join(dir, "no-docker.sock")}`]);
    assert.equal(run.code, 1, run.out);
    const cni = check(run, "CNI");
    assert.equal(cni.status, "FAIL");
    assert.ok(cni.text.includes(`"${join(conf, "10-test.conflist")}" (network "testnet") needs plugins missing from ${bin}: portmap`), cni.text);
    const docker = check(run, "Docker");
    assert.equal(docker.status, "FAIL");
    assert.match(docker.text, /cannot reach dockerd at unix:\/\/.*no-docker\.sock: nothing at ".*no-docker\.sock": dockerd is not running/);
    assert.match(run.out, /→ Start it \(systemctl start docker\)/);
    assert.match(run.out, /^2 problems to fix before docker-cri can work; \d+ warnings?\.$/m);
  });

  it("fails on a log driver the kubelet cannot read and on a cgroup driver mismatch (fake engine)", async () => {
    const engine = await startFakeEngine([
      {
        method: "GET",
        path: apiPath("/info"),
        json: { ID: "F", Name: "fake", ServerVersion: "20.10.24-fake", CgroupDriver: "systemd", CgroupVersion: "1", DockerRootDir: "/var/lib/docker", LoggingDriver: "journald", Runtimes: { runc: {} } },
      },
    ]);
    try {
      const run = await doctor([`--docker-endpoint=${engine.endpoint}`, "--cgroup-driver=cgroupfs", "--network-plugin="]);
      assert.equal(run.code, 1, run.out);
      const logs = check(run, "Log driver");
      assert.equal(logs.status, "FAIL");
      assert.match(logs.text, /Docker's default log driver is "journald": kubectl logs will show nothing/);
      const cgroups = check(run, "Cgroups");
      assert.equal(cgroups.status, "FAIL");
      assert.match(cgroups.text, /Docker uses the "systemd" cgroup driver on cgroup v1, but --cgroup-driver is "cgroupfs": docker-cri refuses to start/);
    } finally {
      await engine.close();
    }
  });

  it("reports the image store and each version-dependent feature of the real engine", async () => {
    const version: unknown = await dockerJson({ method: "GET", path: "/version" });
    const info: unknown = await dockerJson({ method: "GET", path: "/info" });
    assert.ok(isRecord(version) && isRecord(info));
    const run = await doctor(["--network-plugin=", `--container-runtime-endpoint=unix://${join(dir, "features.sock")}`]);
    const containerdStore = Array.isArray(info.DriverStatus) && info.DriverStatus.some((p: unknown) => Array.isArray(p) && p[0] === "driver-type" && String(p[1]).startsWith("io.containerd.snapshotter"));
    assert.match(check(run, "Image store").text, containerdStore ? /^containerd image store/ : /^classic \(graph driver "/);
    for (const name of ["Read-only mounts", "Recursive read-only", "Image volumes", "CDI devices"]) check(run, name);
  });

  it("an old engine: every version-dependent feature says which API and Docker release it needs (fake engine, API 1.41)", async () => {
    const engine = await startFakeEngine([], { apiVersion: "1.41" });
    try {
      const run = await doctor([`--docker-endpoint=${engine.endpoint}`, "--network-plugin="]);
      assert.deepEqual(check(run, "Recursive read-only"), { status: "WARN", text: "not available: needs Docker API 1.44 (Docker 25); docker-cri speaks 1.41 with this engine" });
      assert.deepEqual(check(run, "Image volumes"), { status: "WARN", text: "not available: needs Docker API 1.48 (Docker 28); docker-cri speaks 1.41 with this engine" });
      assert.deepEqual(check(run, "CDI devices"), { status: "WARN", text: "not available: needs Docker API 1.44 (Docker 25); docker-cri speaks 1.41 with this engine" });
      assert.equal(check(run, "Read-only mounts").status, "ok");
      assert.match(check(run, "Image store").text, /^classic/);
    } finally {
      await engine.close();
    }
  });

  it("a new engine with the containerd image store and CDI (fake engine, API 1.51)", async () => {
    const engine = await startFakeEngine(
      [
        {
          method: "GET",
          path: apiPath("/info"),
          json: { ID: "F", Name: "fake", ServerVersion: "28.5.2-fake", CgroupDriver: "cgroupfs", CgroupVersion: "1", DockerRootDir: "/var/lib/docker", LoggingDriver: "json-file", Runtimes: { runc: {} }, Driver: "overlayfs", DriverStatus: [["driver-type", "io.containerd.snapshotter.v1"]], KernelVersion: "6.1.0", CDISpecDirs: ["/etc/cdi", "/var/run/cdi"] },
        },
      ],
      { apiVersion: "1.51", minApiVersion: "1.24" },
    );
    try {
      const run = await doctor([`--docker-endpoint=${engine.endpoint}`, "--network-plugin="]);
      assert.match(check(run, "Image store").text, /^containerd image store \(snapshotter "overlayfs"\): image ids are manifest or index digests/);
      assert.deepEqual(check(run, "Recursive read-only"), { status: "ok", text: "available (BindOptions.ReadOnlyForceRecursive on kernel 6.1.0), advertised in Status" });
      assert.deepEqual(check(run, "Image volumes"), { status: "ok", text: 'available (mount type "image", with sub paths)' });
      assert.deepEqual(check(run, "CDI devices"), { status: "ok", text: "available (spec directories /etc/cdi, /var/run/cdi)" });
      assert.match(check(run, "Read-only mounts").text, /^non-recursive as asked/);
    } finally {
      await engine.close();
    }
  });

  it("warns about a CRI socket every user can open, and says when something serves on it", async () => {
    const path = join(dir, "open.sock");
    const server: Server = createServer();
    await new Promise<void>((res) => server.listen(path, res));
    try {
      await chmod(path, 0o666);
      const run = await doctor(["--network-plugin=", `--container-runtime-endpoint=unix://${path}`]);
      const sock = check(run, "CRI socket");
      assert.equal(sock.status, "WARN");
      assert.match(sock.text, /mode 0666 — every user on this host can use it and so control all containers; something serves on it/);
    } finally {
      await new Promise<void>((res) => server.close(() => { res(); }));
    }
  });

  it("takes the daemon's systemd flags: fd:// refers to docker-cri.socket", async () => {
    const run = await doctor(["--network-plugin=", "--container-runtime-endpoint=fd://"]);
    assert.match(check(run, "CRI socket").text, /^fd:\/\/ \(systemd socket activation; docker-cri\.socket listens on "\/run\/docker-cri\.sock"\)/);
  });

  it("in remote mode checks the remote runtime's socket instead of Docker", async () => {
    const absent = join(dir, "remote.sock");
    const run = await doctor(["--container-runtime=remote", `--remote-runtime-endpoint=unix://${absent}`]);
    assert.equal(run.code, 1, run.out);
    assert.equal(run.checks.get("Docker"), undefined);
    assert.deepEqual(check(run, "Remote runtime"), { status: "FAIL", text: `nothing serves on "${absent}": every call will answer Unavailable` });
  });

  it("exits 2 naming a bad flag", async () => {
    const run = await doctor(["--hairpin-mode=sideways"]);
    assert.equal(run.code, 2);
    assert.match(run.out, /^docker-cri doctor: Invalid --hairpin-mode "sideways": must be one of/m);
  });
});
