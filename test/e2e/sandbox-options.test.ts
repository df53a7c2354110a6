/**
 * How RunPodSandbox's options reach Docker and the kernel: host namespaces, sysctls, cgroup parent,
 * runtime handler, seccomp and no-new-privileges, the OOM score clamp, and rollback when Docker
 * cannot start the sandbox.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdir, readFile, readlink, rm, rmdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { NamespaceMode, RuntimeService, SecurityProfile_ProfileType } from "../../src/gen/index.js";
import { isGrpcError, type CriClient } from "../kit/cri-client.js";
import type { Daemon } from "../kit/daemon.js";
import { field, inspect, newRun, removeRunContainers, runContainers, runSandbox, startSandboxDaemon, type SandboxRun } from "../kit/sandbox-run.js";

const exec = promisify(execFile);

/** Reads a file inside the namespaces of `pid` (nsenter flags such as "-n", "-i"). */
async function inNamespace(pid: number, flags: string[], path: string): Promise<string> {
  const { stdout } = await exec("nsenter", ["-t", String(pid), ...flags, "cat", path]);
  return stdout.trim();
}

async function pidOf(id: string): Promise<number> {
  return Number(field(await inspect(id), "State", "Pid"));
}

describe("pod sandbox options", () => {
  let daemon: Daemon;
  let started = false;
  let cri: CriClient;
  let run: SandboxRun;
  let scratch: string;

  before(async () => {
    run = newRun();
    scratch = await mkdtemp(join(tmpdir(), "docker-cri-sandbox-options-"));
    daemon = await startSandboxDaemon();
    started = true;
    cri = daemon.client();
  });
  after(async () => {
    // Also runs when before() failed half-way.
    if (started) await daemon.stop();
    await removeRunContainers(run);
    if (started) await daemon.cleanup();
    await rm(scratch, { recursive: true, force: true });
    // cgroupfs leaves the (now empty) parent directories of the test's cgroup parent behind.
    for (const controller of await readdir("/sys/fs/cgroup").catch(() => [])) {
      await rmdir(join("/sys/fs/cgroup", controller, `docker-cri-test-${run.runId}`)).catch(() => undefined);
    }
  });

  it("shares the node's network, PID and IPC namespaces when asked, and reports NODE and no IP", async () => {
    // The kubelet sends the node's hostname for host-network pods.
    const id = await runSandbox(cri, run.pod("host", { hostname: "node-1", linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE, pid: NamespaceMode.NODE, ipc: NamespaceMode.NODE } } } }));
    const c = await inspect(id);
    assert.equal(field(c, "HostConfig", "NetworkMode"), "host");
    assert.equal(field(c, "HostConfig", "PidMode"), "host");
    assert.equal(field(c, "HostConfig", "IpcMode"), "host");
    const pid = Number(field(c, "State", "Pid"));
    for (const ns of ["net", "pid", "ipc"]) {
      assert.equal(await readlink(`/proc/${pid}/ns/${ns}`), await readlink(`/proc/self/ns/${ns}`), `${ns} namespace`);
    }
    const s = (await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: id })).status;
    assert.deepEqual([s?.linux?.namespaces?.options?.network, s?.linux?.namespaces?.options?.pid, s?.linux?.namespaces?.options?.ipc], [NamespaceMode.NODE, NamespaceMode.NODE, NamespaceMode.NODE]);
    assert.equal(s?.network?.ip, "", "the kubelet reports the node's IPs for host-network pods");
    const checkpoint = JSON.parse(await readFile(join(daemon.rootDir, "sandbox", id), "utf8")) as unknown;
    assert.equal(field(checkpoint, "data", "host_network"), true);
  });

  it("gives the pod its own namespaces by default", async () => {
    const id = await runSandbox(cri, run.pod("own"));
    const pid = await pidOf(id);
    for (const ns of ["net", "pid", "ipc", "uts"]) {
      assert.notEqual(await readlink(`/proc/${pid}/ns/${ns}`), await readlink(`/proc/self/ns/${ns}`), `${ns} namespace`);
    }
  });

  it("applies sysctls inside the pod's namespaces", async () => {
    const id = await runSandbox(cri, run.pod("sysctl", { linux: { sysctls: { "kernel.shm_rmid_forced": "1", "net.ipv4.ip_unprivileged_port_start": "80" } } }));
    const pid = await pidOf(id);
    assert.equal(await inNamespace(pid, ["-i"], "/proc/sys/kernel/shm_rmid_forced"), "1");
    assert.equal(await inNamespace(pid, ["-n"], "/proc/sys/net/ipv4/ip_unprivileged_port_start"), "80");
  });

  it("places the sandbox under the cgroup parent (Docker's cgroupfs driver here)", async () => {
    const parent = `/docker-cri-test-${run.runId}/pod-a`;
    const id = await runSandbox(cri, run.pod("cgroup", { linux: { cgroupParent: parent } }));
    assert.equal(field(await inspect(id), "HostConfig", "CgroupParent"), parent);
    const cgroups = await readFile(`/proc/${await pidOf(id)}/cgroup`, "utf8");
    assert.ok(cgroups.includes(`${parent}/${id}`), cgroups);
    await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: id });
    for (const controller of await readdir("/sys/fs/cgroup")) {
      await rmdir(join("/sys/fs/cgroup", controller, parent)).catch(() => undefined);
    }
  });

  it("runs with a named runtime handler, reports it, and refuses an unknown one clearly", async () => {
    const id = await runSandbox(cri, run.pod("handler"), "runc");
    assert.equal(field(await inspect(id), "HostConfig", "Runtime"), "runc");
    assert.equal((await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: id })).status?.runtimeHandler, "runc");
    const listed = await cri.call(RuntimeService.method.listPodSandbox, { filter: { id } });
    assert.equal(listed.items[0]?.runtimeHandler, "runc");
    const before = await runContainers(run);
    await assert.rejects(
      cri.call(RuntimeService.method.runPodSandbox, { config: run.pod("handler-x"), runtimeHandler: "no-such-runtime" }),
      (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT, 'Unknown runtime handler "no-such-runtime"'),
    );
    assert.deepEqual(await runContainers(run), before);
  });

  it("runs without new privileges and with Docker's seccomp profile by default; honours Unconfined and localhost profiles", async () => {
    const seccompMode = async (id: string) => /^Seccomp:\s*(\d)/m.exec(await readFile(`/proc/${await pidOf(id)}/status`, "utf8"))?.[1];
    const noNewPrivs = async (id: string) => /^NoNewPrivs:\s*(\d)/m.exec(await readFile(`/proc/${await pidOf(id)}/status`, "utf8"))?.[1];

    const byDefault = await runSandbox(cri, run.pod("seccomp-default"));
    assert.equal(await noNewPrivs(byDefault), "1");
    assert.equal(await seccompMode(byDefault), "2", "filtered by Docker's default profile");

    const unconfined = await runSandbox(cri, run.pod("seccomp-unconfined", { linux: { securityContext: { seccomp: { profileType: SecurityProfile_ProfileType.Unconfined } } } }));
    assert.ok((field(await inspect(unconfined), "HostConfig", "SecurityOpt") as string[]).includes("seccomp=unconfined"));
    assert.equal(await seccompMode(unconfined), "0");

    const profile = join(scratch, "allow-all.json");
    await writeFile(profile, JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW" }, null, 2));
    const local = await runSandbox(cri, run.pod("seccomp-local", { linux: { securityContext: { seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: profile } } } }));
    assert.equal(await seccompMode(local), "2");
    await assert.rejects(
      cri.call(RuntimeService.method.runPodSandbox, { config: run.pod("seccomp-missing", { linux: { securityContext: { seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: join(scratch, "missing.json") } } } }) }),
      (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT, "Cannot load seccomp profile"),
    );
  });

  it("asks for OOM score -998, clamped to what this host allows", async () => {
    const status = await readFile("/proc/self/status", "utf8");
    const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? "0"}`);
    const own = Number((await readFile("/proc/self/oom_score_adj", "utf8")).trim());
    const expected = ((capEff >> 24n) & 1n) === 1n ? -998 : Math.max(-998, own);
    const id = await runSandbox(cri, run.pod("oom"));
    assert.equal(field(await inspect(id), "HostConfig", "OomScoreAdj"), expected);
    assert.equal(Number((await readFile(`/proc/${await pidOf(id)}/oom_score_adj`, "utf8")).trim()), expected);
  });

  it("rolls back when Docker cannot start the sandbox: no container, no checkpoint", async () => {
    const before = await runContainers(run);
    const checkpointsBefore = await readdir(join(daemon.rootDir, "sandbox"));
    // runc refuses a sysctl value the kernel does not take, but only at start, after create and checkpoint.
    await assert.rejects(
      cri.call(RuntimeService.method.runPodSandbox, { config: run.pod("rollback", { linux: { sysctls: { "net.ipv4.ip_unprivileged_port_start": "not-a-number" } } }) }),
      (err) => isGrpcError(err, grpcStatus.INTERNAL, "Cannot run pod sandbox"),
    );
    assert.deepEqual(await runContainers(run), before);
    assert.deepEqual(await readdir(join(daemon.rootDir, "sandbox")), checkpointsBefore);
    assert.match(daemon.stderr(), /Pod sandbox creation failed; rolled back/);
  });
});
