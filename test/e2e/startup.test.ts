/**
 * Start-up and the runtime-info RPCs, over the real socket against the real dockerd (and a fake engine
 * only where a real daemon cannot be made to misbehave: an API that is too old, a slow answer).
 */
import assert from "node:assert/strict";
import { lstat, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { CgroupDriver, RuntimeService } from "../../src/gen/index.js";
import { apiPath, startFakeEngine } from "../fakes/fake-engine.js";
import { isGrpcError } from "../kit/cri-client.js";
import { metricsAddressOf, runExpectingFailure, startDaemon, type Daemon } from "../kit/daemon.js";
import { dockerJson, isRecord } from "../kit/docker-api.js";

describe("docker-cri against the real dockerd", () => {
  let daemon: Daemon;
  let realDockerVersion: string;

  before(async () => {
    realDockerVersion = await fetchDockerVersion();
    daemon = await startDaemon({ args: ["--log-level=debug"] });
  });
  after(async () => {
    await daemon.stop();
    await daemon.cleanup();
  });

  it("answers Version with Docker's version", async () => {
    const v = await daemon.client().call(RuntimeService.method.version, { version: "0.1.0" });
    assert.equal(v.version, "0.1.0");
    assert.equal(v.runtimeName, "docker");
    assert.equal(v.runtimeApiVersion, "v1");
    assert.equal(v.runtimeVersion, realDockerVersion);
  });

  it("answers Status with RuntimeReady and NetworkReady true, and runtime handlers", async () => {
    const s = await daemon.client().call(RuntimeService.method.status, { verbose: true });
    const conditions = new Map((s.status?.conditions ?? []).map((c) => [c.type, c]));
    assert.equal(conditions.get("RuntimeReady")?.status, true);
    assert.equal(conditions.get("NetworkReady")?.status, true, "no network plugin: Docker's bridge is ready");
    assert.ok(s.runtimeHandlers.some((h) => h.name === "runc"), `handlers: ${s.runtimeHandlers.map((h) => h.name).join(",")}`);
    const config: unknown = JSON.parse(s.info.config ?? "null");
    assert.equal(typeof config, "object");
  });

  it("answers RuntimeConfig with Docker's cgroup driver", async () => {
    const info = await fetchDockerInfo();
    const r = await daemon.client().call(RuntimeService.method.runtimeConfig, {});
    assert.equal(r.linux?.cgroupDriver, info === "systemd" ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS);
  });

  it("keeps the pod CIDR from UpdateRuntimeConfig and rejects a malformed one", async () => {
    const c = daemon.client();
    await c.call(RuntimeService.method.updateRuntimeConfig, { runtimeConfig: { networkConfig: { podCidr: "10.244.0.0/24" } } });
    // The log line is written before the answer, but reaches us through a pipe: on a loaded machine
    // the answer can come first (seen in a CI rehearsal with two CPU hogs).
    for (const deadline = Date.now() + 10_000; !/"podCidr":"10.244.0.0\/24"/.test(daemon.stderr()) && Date.now() < deadline;) await sleep(50);
    assert.match(daemon.stderr(), /"podCidr":"10.244.0.0\/24"/);
    await assert.rejects(
      c.call(RuntimeService.method.updateRuntimeConfig, { runtimeConfig: { networkConfig: { podCidr: "10.244.0.0/99" } } }),
      (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT, 'Invalid pod CIDR "10.244.0.0/99"'),
    );
  });

  it("creates the socket with mode 0660", async () => {
    const st = await lstat(daemon.socketPath);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
  });

  it("answers an RPC that is not built with Unimplemented naming it", async () => {
    await assert.rejects(
      daemon.client().call(RuntimeService.method.checkpointPod, { podSandboxId: "x" }),
      (err) => isGrpcError(err, grpcStatus.UNIMPLEMENTED, "CheckpointPod is not implemented"),
    );
  });

  it("answers undecodable bytes with InvalidArgument and keeps serving", async () => {
    const c = daemon.client();
    await assert.rejects(
      c.callRaw("/runtime.v1.RuntimeService/Status", Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])),
      (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT, "Cannot decode runtime.v1.StatusRequest"),
    );
    const v = await c.call(RuntimeService.method.version, {});
    assert.equal(v.runtimeName, "docker");
  });

  it("serves Docker operation and RPC metrics with dockershim's names", async () => {
    const addr = metricsAddressOf(daemon);
    assert.ok(addr !== undefined, "metrics address logged");
    const text = await (await fetch(`http://${addr}/metrics`)).text();
    assert.match(text, /docker_operations_total\{operation_type="version"\} \d+/);
    assert.match(text, /docker_operations_duration_seconds_bucket\{le="[^"]+",operation_type="info"\}/);
    assert.match(text, /docker_operations_errors_total/);
    assert.match(text, /docker_operations_timeout_total/);
    assert.match(text, /docker_cri_rpc_requests_total\{method="Version",code="OK"\} [1-9]/);
    assert.match(text, /docker_cri_rpc_requests_total\{method="CheckpointPod",code="Unimplemented"\} [1-9]/);
  });

  it("logs structured JSON lines on stderr", () => {
    const lines = daemon.stderr().trim().split("\n");
    for (const line of lines.slice(0, 5)) {
      const parsed: unknown = JSON.parse(line);
      assert.equal(typeof parsed, "object");
    }
    assert.match(daemon.stderr(), /"rpc":"Version","requestId":"[0-9a-f]+-[0-9a-z]+"/);
  });
});

/** Docker's cgroup driver as `docker info` reports it ("" means cgroupfs). */
async function fetchDockerInfo(): Promise<string> {
  const info = await dockerJson({ method: "GET", path: "/info" });
  const driver = isRecord(info) && typeof info.CgroupDriver === "string" ? info.CgroupDriver : "";
  return driver === "" ? "cgroupfs" : driver;
}

async function fetchDockerVersion(): Promise<string> {
  const v = await dockerJson({ method: "GET", path: "/version" });
  assert.ok(isRecord(v) && typeof v.Version === "string");
  return v.Version;
}

describe("start-up failures are one clear line and a non-zero exit", () => {
  it("fails when dockerd is unreachable", async () => {
    const r = await runExpectingFailure(["--docker-endpoint=unix:///nonexistent/docker.sock"]);
    assert.equal(r.code, 1);
    assert.match(r.lastLine, /^docker-cri: failed to start: Cannot connect to the Docker daemon at unix:\/\/\/nonexistent\/docker.sock/);
  });

  it("fails when Docker's API is older than 1.26 (fake engine)", async () => {
    const engine = await startFakeEngine([], { apiVersion: "1.24", minApiVersion: "1.12" });
    try {
      const r = await runExpectingFailure([`--docker-endpoint=${engine.endpoint}`]);
      assert.equal(r.code, 1);
      assert.match(r.lastLine, /^docker-cri: failed to start: docker API version is older than 1.26/);
    } finally {
      await engine.close();
    }
  });

  it("fails when --cgroup-driver differs from Docker's, naming both", async () => {
    const docker = await fetchDockerInfo();
    const other = docker === "systemd" ? "cgroupfs" : "systemd";
    const r = await runExpectingFailure([`--cgroup-driver=${other}`]);
    assert.equal(r.code, 1);
    assert.match(r.lastLine, new RegExp(`Cgroup driver mismatch: --cgroup-driver is "${other}" but Docker uses "${docker}"`));
  });

  it("fails on bad flag values, naming the flag", async () => {
    const cases: [string[], RegExp][] = [
      [["--container-runtime=rkt"], /unsupported CRI runtime: "rkt"/],
      [["--hairpin-mode=sideways"], /Invalid --hairpin-mode "sideways": must be one of promiscuous-bridge, hairpin-veth, none/],
      [["--network-plugin=flannel"], /Invalid --network-plugin "flannel"/],
      [["--runtime-request-timeout=soon"], /Invalid --runtime-request-timeout "soon": not a duration/],
      [["--cgroup-driver=cgroupv3"], /Invalid --cgroup-driver "cgroupv3"/],
      [["--streaming-bind-addr=not-an-ip"], /Invalid --streaming-bind-addr "not-an-ip"/],
      [["--pod-cidr=10.0.0.0/33"], /Invalid --pod-cidr "10.0.0.0\/33"/],
      [["--network-plugin-mtu=12"], /Invalid --network-plugin-mtu "12"/],
      [["--log-level=loud"], /Invalid --log-level "loud"/],
      [["--no-such-flag"], /unknown option '--no-such-flag'/],
    ];
    // Each case is its own docker-cri process, which fails while parsing its flags: they run at once.
    const results = await Promise.all(cases.map(async ([args]) => runExpectingFailure(args)));
    for (const [i, [args, re]] of cases.entries()) {
      const r = results[i];
      assert.ok(r !== undefined);
      assert.equal(r.code, 2, `${args.join(" ")}: exit code`);
      assert.match(r.lastLine, re, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, `${args.join(" ")}: exactly one line`);
    }
  });

  it("fails when the socket path cannot be created", async () => {
    const r = await runExpectingFailure(["--container-runtime-endpoint=unix:///proc/docker-cri-test/cri.sock"]);
    assert.equal(r.code, 1);
    assert.match(r.lastLine, /^docker-cri: failed to start: Cannot listen on "\/proc\/docker-cri-test\/cri.sock": /);
  });

  it("refuses to steal a socket another process serves on, and replaces a stale one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "docker-cri-sock-"));
    const path = join(dir, "cri.sock");
    const other = createServer();
    await new Promise<void>((res) => other.listen(path, res));
    try {
      const r = await runExpectingFailure([`--container-runtime-endpoint=unix://${path}`]);
      assert.equal(r.code, 1);
      assert.match(r.lastLine, /another process is already serving on it/);
    } finally {
      await new Promise<void>((res) => other.close(() => { res(); }));
    }
    // A socket file nobody serves on (left by a crash) is removed and replaced.
    const stale = createServer();
    await new Promise<void>((res) => stale.listen(path, res));
    stale.unref();
    // Closing the handle without unlinking leaves the file behind, as a killed process would.
    await new Promise<void>((res) => { (stale as unknown as { _handle: { close(cb: () => void): void } })._handle.close(res); });
    const d = await startDaemon({ args: [`--container-runtime-endpoint=unix://${path}`] });
    try {
      const v = await d.client().call(RuntimeService.method.version, {});
      assert.equal(v.runtimeName, "docker");
    } finally {
      await d.stop();
      await d.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("fails when the path holds a file that is not a socket", async () => {
    const dir = await mkdtemp(join(tmpdir(), "docker-cri-sock-"));
    const path = join(dir, "cri.sock");
    await writeFile(path, "not a socket");
    try {
      const r = await runExpectingFailure([`--container-runtime-endpoint=unix://${path}`]);
      assert.equal(r.code, 1);
      assert.match(r.lastLine, /exists and is not a socket/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("shutdown", () => {
  it("on SIGTERM lets an in-flight call finish, removes the socket and exits 0", async () => {
    // The fake engine answers /version slowly, so a Version call is in flight when SIGTERM arrives.
    const engine = await startFakeEngine([{ method: "GET", path: apiPath("/version"), delayMs: 1500, json: { Version: "20.10.24-fake", ApiVersion: "1.41", MinAPIVersion: "1.12", Os: "linux", Arch: "amd64", KernelVersion: "6" } }]);
    // Negotiation uses the unversioned /version; let start-up through quickly by negotiating first.
    const d = await startDaemon({ args: [`--docker-endpoint=${engine.endpoint}`] }).catch(async (err: unknown) => {
      await engine.close();
      throw err;
    });
    try {
      const c = d.client();
      const pending = c.call(RuntimeService.method.version, {});
      await new Promise((res) => setTimeout(res, 300));
      d.proc.kill("SIGTERM");
      const v = await pending;
      assert.equal(v.runtimeVersion, "20.10.24-fake");
      const code = await d.exited;
      assert.equal(code, 0);
      await assert.rejects(lstat(d.socketPath), { code: "ENOENT" });
      assert.match(d.stderr(), /Shutting down/);
    } finally {
      await d.cleanup();
      await engine.close();
    }
  });
});
