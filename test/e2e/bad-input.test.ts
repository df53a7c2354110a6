/**
 * Bad input a kubelet (or anything else on the socket) could send, written out case by case: missing
 * fields, unknown and malformed ids, oversized strings, label selectors no object can match, absurd
 * resource values, path traversal in log paths and mounts, and undecodable bytes. Each must get the
 * right gRPC code with a message naming what is wrong, never crash the daemon, and never leave a
 * container behind. The generated sweep over every field of every method is test/chaos/fuzz.test.ts.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { create, toBinary, type DescMethod, type MessageInitShape } from "@bufbuild/protobuf";
import { status } from "@grpc/grpc-js";
import { after, before, describe, it } from "node:test";
import { ImageService, RuntimeService } from "../../src/gen/index.js";
import { startFuzzFixture, type FuzzFixture } from "../kit/fuzz-fixture.js";
import { codeName, rawCaller, type RawCaller } from "../kit/raw-call.js";
import { isGrpcError } from "../kit/cri-client.js";
import { startDaemon } from "../kit/daemon.js";

const r = RuntimeService.method;
const i = ImageService.method;

/** A plausible id of nothing: 64 hex digits. */
const unknownId = randomBytes(32).toString("hex");
const huge = "x".repeat(2 * 1024 * 1024);

interface Case {
  readonly method: DescMethod;
  readonly request: object;
  readonly code: status;
  readonly message: RegExp;
}

describe("bad input over CRI", { timeout: 120_000 }, () => {
  let fx: FuzzFixture;
  let raw: RawCaller;

  before(async () => {
    fx = await startFuzzFixture();
    raw = rawCaller(fx.daemon.socketPath);
  });
  after(async () => {
    raw.close();
    await fx.dispose();
  });

  async function expect(c: Case): Promise<void> {
    const bytes = toBinary(c.method.input, create(c.method.input, c.request as MessageInitShape<typeof c.method.input>)); // each case's request is shaped for its method's input
    const out = await raw.call(c.method, bytes, { deadlineMs: 30_000 });
    const what = `${c.method.name} ${JSON.stringify(c.request, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : typeof v === "string" && v.length > 80 ? `<${v.length} chars>` : v)).slice(0, 300)}`;
    assert.equal(codeName(out.code), codeName(c.code), `${what}: ${out.details}`);
    assert.match(out.details, c.message, what);
    assert.ok(out.details.length <= 4200, `${what}: a ${out.details.length}-character message`);
  }

  const containerConfig = (over: Record<string, unknown>) => ({ metadata: { name: "bad", attempt: 0 }, image: { image: fx.busyboxTag }, command: ["sleep", "60"], ...over });
  let attempt = 1000;
  /** The fixture's pod with a fresh attempt (the same metadata would be a retry, answered with the running sandbox). */
  const pod = (over: Record<string, unknown> = {}) => ({ ...fx.podConfig, metadata: { ...fx.podConfig.metadata, attempt: attempt++ }, ...over });
  const create_ = (config: Record<string, unknown>, sandboxOver: Record<string, unknown> = {}) => ({
    podSandboxId: fx.sandboxId,
    config: containerConfig(config),
    sandboxConfig: { ...fx.podConfig, ...sandboxOver },
  });

  it("names the missing field", async () => {
    const cases: Case[] = [
      { method: r.runPodSandbox, request: {}, code: status.INVALID_ARGUMENT, message: /needs a config/ },
      { method: r.runPodSandbox, request: { config: {} }, code: status.INVALID_ARGUMENT, message: /needs config\.metadata/ },
      { method: r.runPodSandbox, request: { config: { metadata: { name: "a", namespace: "b" } } }, code: status.INVALID_ARGUMENT, message: /uid is empty/ },
      { method: r.stopPodSandbox, request: {}, code: status.INVALID_ARGUMENT, message: /pod_sandbox_id/ },
      { method: r.removePodSandbox, request: {}, code: status.INVALID_ARGUMENT, message: /pod_sandbox_id/ },
      { method: r.podSandboxStatus, request: {}, code: status.INVALID_ARGUMENT, message: /pod_sandbox_id/ },
      { method: r.createContainer, request: {}, code: status.INVALID_ARGUMENT, message: /pod_sandbox_id/ },
      { method: r.createContainer, request: { podSandboxId: fx.sandboxId }, code: status.INVALID_ARGUMENT, message: /needs a config/ },
      { method: r.createContainer, request: { podSandboxId: fx.sandboxId, config: { image: { image: fx.busyboxTag } } }, code: status.INVALID_ARGUMENT, message: /metadata/ },
      { method: r.createContainer, request: { podSandboxId: fx.sandboxId, config: { metadata: { name: "x" } } }, code: status.INVALID_ARGUMENT, message: /image is empty/ },
      { method: r.startContainer, request: {}, code: status.INVALID_ARGUMENT, message: /container_id/ },
      { method: r.stopContainer, request: {}, code: status.INVALID_ARGUMENT, message: /container_id/ },
      { method: r.removeContainer, request: {}, code: status.INVALID_ARGUMENT, message: /container_id/ },
      { method: r.containerStatus, request: {}, code: status.INVALID_ARGUMENT, message: /container_id/ },
      { method: r.updateContainerResources, request: {}, code: status.INVALID_ARGUMENT, message: /container_id/ },
      { method: r.reopenContainerLog, request: {}, code: status.INVALID_ARGUMENT, message: /container_id/ },
      { method: r.execSync, request: { containerId: fx.containerId }, code: status.INVALID_ARGUMENT, message: /command/ },
      { method: r.execSync, request: {}, code: status.INVALID_ARGUMENT, message: /container_id/ },
      { method: r.exec, request: { containerId: fx.containerId, stdout: true }, code: status.INVALID_ARGUMENT, message: /cmd is empty/ },
      { method: r.exec, request: { containerId: fx.containerId, cmd: ["true"] }, code: status.INVALID_ARGUMENT, message: /one of stdin, stdout and stderr/ },
      { method: r.attach, request: { stdout: true }, code: status.INVALID_ARGUMENT, message: /container_id is empty/ },
      { method: r.portForward, request: {}, code: status.INVALID_ARGUMENT, message: /pod_sandbox_id is empty/ },
      { method: i.pullImage, request: {}, code: status.INVALID_ARGUMENT, message: /image\.image" is empty/ },
      { method: i.imageStatus, request: {}, code: status.INVALID_ARGUMENT, message: /image\.image" is empty/ },
      { method: i.removeImage, request: {}, code: status.INVALID_ARGUMENT, message: /image\.image" is empty/ },
    ];
    for (const c of cases) await expect(c);
  });

  it("answers NotFound for ids of nothing, and Stop/Remove of nothing succeed", async () => {
    for (const id of [unknownId, unknownId.slice(0, 12), "../../../../etc/passwd", "/etc/shadow", "a/../../b", "%2e%2e%2f", "nul\u0000byte", "☃"]) {
      const cases: Case[] = [
        { method: r.podSandboxStatus, request: { podSandboxId: id }, code: status.NOT_FOUND, message: /not found|no such/i },
        { method: r.containerStatus, request: { containerId: id }, code: status.NOT_FOUND, message: /not found|no such/i },
        { method: r.startContainer, request: { containerId: id }, code: status.NOT_FOUND, message: /not found|no such/i },
        { method: r.updateContainerResources, request: { containerId: id, linux: { cpuShares: 512n } }, code: status.NOT_FOUND, message: /not found|no such/i },
        { method: r.reopenContainerLog, request: { containerId: id }, code: status.NOT_FOUND, message: /not found|no such/i },
        { method: r.execSync, request: { containerId: id, cmd: ["true"] }, code: status.NOT_FOUND, message: /not found|no such/i },
        { method: r.exec, request: { containerId: id, cmd: ["true"], stdout: true }, code: status.NOT_FOUND, message: /not found|no such/i },
        { method: r.attach, request: { containerId: id, stdout: true }, code: status.NOT_FOUND, message: /not found|no such/i },
        { method: r.portForward, request: { podSandboxId: id, port: [80] }, code: status.NOT_FOUND, message: /not found|no such/i },
        { method: r.createContainer, request: { ...create_({}), podSandboxId: id }, code: status.NOT_FOUND, message: /no such pod sandbox/ },
        { method: r.containerStats, request: { containerId: id }, code: status.NOT_FOUND, message: /not found|no such/i },
        // The kubelet retries Stop and Remove until they succeed: an id of nothing is already stopped and removed.
        { method: r.stopPodSandbox, request: { podSandboxId: id }, code: status.OK, message: /^$/ },
        { method: r.removePodSandbox, request: { podSandboxId: id }, code: status.OK, message: /^$/ },
        { method: r.stopContainer, request: { containerId: id }, code: status.OK, message: /^$/ },
        { method: r.removeContainer, request: { containerId: id }, code: status.OK, message: /^$/ },
      ];
      for (const c of cases) await expect(c);
    }
  });

  it("refuses oversized strings without passing them on or quoting them whole", async () => {
    const cases: Case[] = [
      { method: r.containerStatus, request: { containerId: huge }, code: status.INVALID_ARGUMENT, message: /Request Header Fields Too Large/ },
      { method: r.podSandboxStatus, request: { podSandboxId: huge }, code: status.INVALID_ARGUMENT, message: /Request Header Fields Too Large/ },
      { method: r.runPodSandbox, request: { config: { metadata: { name: huge, namespace: "n", uid: "u" } } }, code: status.INVALID_ARGUMENT, message: /^Invalid pod sandbox metadata: name is 2097152 characters long, more than Kubernetes allows \(253\)$/ },
      { method: r.runPodSandbox, request: { config: pod({ dnsConfig: { options: [huge] } }) }, code: status.INVALID_ARGUMENT, message: /^Invalid DNS config: "x+ … \(\d+ characters left out\) … x+" is longer than a DNS name may be \(253\)$/ },
      { method: r.runPodSandbox, request: { config: pod({ hostname: "h".repeat(65) }) }, code: status.INVALID_ARGUMENT, message: /Invalid hostname .*longer than 64 bytes/ },
      { method: r.createContainer, request: create_({ command: ["x".repeat(70_000)] }), code: status.INVALID_ARGUMENT, message: /the executable: 70000 bytes long/ },
      { method: r.createContainer, request: create_({ workingDir: `/${"w".repeat(5000)}` }), code: status.INVALID_ARGUMENT, message: /working_dir: 5001 bytes long/ },
      { method: r.execSync, request: { containerId: fx.containerId, cmd: ["x".repeat(70_000)] }, code: status.INVALID_ARGUMENT, message: /the executable: 70000 bytes long/ },
      { method: r.execSync, request: { containerId: fx.containerId, cmd: ["sh", "-c", "y".repeat(200_000)] }, code: status.INVALID_ARGUMENT, message: /argument 2 is 200000 bytes long/ },
      { method: r.exec, request: { containerId: fx.containerId, cmd: ["x".repeat(70_000)], stdout: true }, code: status.INVALID_ARGUMENT, message: /the executable: 70000 bytes long/ },
      { method: i.imageStatus, request: { image: { image: huge } }, code: status.INVALID_ARGUMENT, message: /too long|Too Large/i },
      { method: i.pullImage, request: { image: { image: huge } }, code: status.INVALID_ARGUMENT, message: /too long/ },
    ];
    for (const c of cases) await expect(c);
  });

  it("matches nothing with label selectors no object carries, and filters by the ones that do", async () => {
    for (const labelSelector of [{ "": "" }, { "a=b,c!=d": "x" }, { "k": "v in (a,b)" }, { "*": "*" }, { [fuzzRun]: "" }]) {
      const sandboxes = await fx.cri.call(r.listPodSandbox, { filter: { labelSelector } });
      assert.deepEqual(sandboxes.items, [], JSON.stringify(labelSelector));
      const containers = await fx.cri.call(r.listContainers, { filter: { labelSelector } });
      assert.deepEqual(containers.containers, [], JSON.stringify(labelSelector));
    }
    const ours = await fx.cri.call(r.listPodSandbox, { filter: { labelSelector: { [fuzzRun]: fx.runId } } });
    assert.deepEqual(new Set(ours.items.map((s) => s.id)), new Set([fx.sandboxId, fx.victimSandboxId]));
    assert.deepEqual((await fx.cri.call(r.listContainers, { filter: { id: "../../etc" } })).containers, []);
    assert.deepEqual((await fx.cri.call(r.listPodSandbox, { filter: { id: huge } })).items, []);
  });

  it("refuses absurd resource values on create and update", async () => {
    const res = (linux: Record<string, unknown>) => ({ resources: linux });
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ memoryLimitInBytes: -1n }, /memory_limit_in_bytes -1 is negative/],
      [{ cpuShares: 1n }, /cpu_shares 1 is not between 2 and 262144/],
      [{ cpuShares: 1_000_000_000_000n }, /cpu_shares .* is not between 2 and 262144/],
      [{ cpuQuota: -5n }, /cpu_quota -5 is negative/],
      [{ cpuPeriod: 9223372036854775807n }, /cpu_period .* is out of range/],
      [{ cpusetCpus: "all" }, /cpuset_cpus "all" is not a list/],
      [{ oomScoreAdj: 5000n }, /oom_score_adj 5000 is outside -1000\.\.1000/],
      [{ hugepageLimits: [{ pageSize: "2MB", limit: 1n }] }, /hugepages/],
      [{ unified: { "memory.max": "1" } }, /unified/],
    ];
    for (const [linux, message] of bad) {
      await expect({ method: r.createContainer, request: create_({ linux: res(linux) }), code: status.INVALID_ARGUMENT, message });
      if (!("oomScoreAdj" in linux)) {
        await expect({ method: r.updateContainerResources, request: { containerId: fx.containerId, linux }, code: status.INVALID_ARGUMENT, message });
      }
    }
    await expect({ method: r.runPodSandbox, request: { config: pod({ linux: { securityContext: { runAsUser: { value: 4294967296n } } } }) }, code: status.INVALID_ARGUMENT, message: /run_as_user 4294967296 is not between 0 and 2147483647/ });
    await expect({ method: r.createContainer, request: create_({ linux: { securityContext: { runAsUser: { value: -1n } } } }), code: status.INVALID_ARGUMENT, message: /run_as_user -1/ });
    await expect({ method: r.runPodSandbox, request: { config: pod({ linux: { sysctls: { "vm.swappiness": "1" } } }) }, code: status.INVALID_ARGUMENT, message: /sysctl "vm\.swappiness": it is not namespaced/ });
    await expect({ method: r.runPodSandbox, request: { config: pod({ portMappings: [{ containerPort: 70000 }] }) }, code: status.INVALID_ARGUMENT, message: /container port 70000/ });
    await expect({ method: r.portForward, request: { podSandboxId: fx.sandboxId, port: [0] }, code: status.INVALID_ARGUMENT, message: /port 0 is not between 1 and 65535/ });
    // An int64-max timeout is a long wait, not an immediate one: the command finishes normally.
    const done = await fx.cri.call(r.execSync, { containerId: fx.containerId, cmd: ["true"], timeout: 9223372036854775807n });
    assert.equal(done.exitCode, 0);
  });

  it("refuses path traversal in log paths, mounts and cgroup parents", async () => {
    const cases: Case[] = [
      { method: r.createContainer, request: create_({ logPath: "../../../../etc/passwd" }), code: status.INVALID_ARGUMENT, message: /log_path .* may not contain "\.\."/ },
      { method: r.createContainer, request: create_({ logPath: "x.log" }, { logDirectory: "/var/log/pods/../../../etc" }), code: status.INVALID_ARGUMENT, message: /log_directory .* may not contain "\.\."/ },
      { method: r.createContainer, request: create_({ logPath: "x.log" }, { logDirectory: "relative/dir" }), code: status.INVALID_ARGUMENT, message: /must be absolute/ },
      { method: r.createContainer, request: create_({ mounts: [{ hostPath: "/tmp", containerPath: "../../etc" }] }), code: status.INVALID_ARGUMENT, message: /container path must be absolute/ },
      { method: r.createContainer, request: create_({ mounts: [{ hostPath: "tmp/../..", containerPath: "/mnt" }] }), code: status.INVALID_ARGUMENT, message: /host path must be absolute/ },
      { method: r.createContainer, request: create_({ mounts: [{ hostPath: "/tmp:/etc", containerPath: "/mnt" }] }), code: status.INVALID_ARGUMENT, message: /":" or ","/ },
      { method: r.createContainer, request: create_({ devices: [{ hostPath: "../dev/sda", containerPath: "/dev/sda" }] }), code: status.INVALID_ARGUMENT, message: /must be absolute/ },
      { method: r.createContainer, request: create_({ workingDir: "../.." }), code: status.INVALID_ARGUMENT, message: /working_dir .* is not absolute/ },
      { method: r.createContainer, request: create_({}, { linux: { cgroupParent: "/kubepods/../../../sys" } }), code: status.INVALID_ARGUMENT, message: /cgroup parent .* "\.\." components/ },
      { method: r.runPodSandbox, request: { config: pod({ linux: { cgroupParent: "/../../escape" } }) }, code: status.INVALID_ARGUMENT, message: /cgroup parent/ },
      { method: r.runPodSandbox, request: { config: pod({ hostname: "a\nb" }) }, code: status.INVALID_ARGUMENT, message: /hostname/ },
      { method: r.runPodSandbox, request: { config: pod({ dnsConfig: { searches: ["x\nnameserver 1.1.1.1"] } }) }, code: status.INVALID_ARGUMENT, message: /whitespace/ },
    ];
    for (const c of cases) await expect(c);
  });

  it("answers undecodable bytes with InvalidArgument on every method", async () => {
    for (const method of [...RuntimeService.methods, ...ImageService.methods]) {
      // A tag cut off in the middle of its varint: no message of any type decodes from it.
      const cut = await raw.call(method, Buffer.from([0xff]), { deadlineMs: 10_000 });
      assert.equal(codeName(cut.code), "INVALID_ARGUMENT", `${method.name}: ${cut.details}`);
      assert.match(cut.details, new RegExp(`Cannot decode runtime\\.v1\\.\\w+ for ${method.name}`));
      // Field 1 as a 2^35-byte value, and as invalid UTF-8: protobuf-es skips a field whose wire type
      // does not match its declaration and reads bad UTF-8 with replacement characters, so some
      // methods decode these and answer normally; none may fail on the server's side.
      for (const bytes of [Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0x0a, 0x02, 0xc3, 0x28])]) {
        const out = await raw.call(method, bytes, { deadlineMs: 10_000 });
        assert.ok(!["INTERNAL", "UNKNOWN"].includes(codeName(out.code)), `${method.name} ${bytes.toString("hex")}: ${codeName(out.code)} ${out.details}`);
      }
    }
  });

  it("refuses a sandbox config that cannot be translated before pulling the pause image", async () => {
    // A pause image on a closed port: had RunPodSandbox pulled first, the answer would be that pull's failure.
    const d = await startDaemon({ args: [`--pod-infra-container-image=127.0.0.1:9/docker-cri-nopull/pause:${fx.runId}`] });
    try {
      const err = await d.client().call(r.runPodSandbox, { config: pod({ linux: { securityContext: { runAsUser: { value: 4294967296n } } } }) }).then(() => undefined, (e: unknown) => e);
      assert.ok(isGrpcError(err, status.INVALID_ARGUMENT, "run_as_user 4294967296"), `answered ${err instanceof Error ? err.message : "OK"}`);
      assert.doesNotMatch(d.stderr(), /Pulling image/);
    } finally {
      await d.stop();
      await d.cleanup();
    }
  });

  it("still serves, and left no container behind", async () => {
    assert.equal((await fx.cri.call(r.version, {})).runtimeName, "docker");
    assert.equal(fx.daemon.proc.exitCode, null);
    const leftover = (await fx.containersOfRun()).filter((id) => !fx.known.has(id));
    assert.deepEqual(leftover, []);
  });
});

const fuzzRun = "io.docker-cri.test.fuzz-run";
