/**
 * App container lifecycle over the CRI socket against the real dockerd: CreateContainer,
 * StartContainer, ContainerStatus, ListContainers, StopContainer, RemoveContainer,
 * UpdateContainerResources, checked against what Docker holds.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { status as grpcStatus } from "@grpc/grpc-js";
import {
  ContainerState,
  MountPropagation,
  NamespaceMode,
  PodSandboxState,
  RuntimeService,
  Signal,
  type ContainerFilterSchema,
} from "../../src/gen/index.js";
import { isGrpcError } from "../kit/cri-client.js";
import { dockerJson } from "../kit/docker-api.js";
import { BUSYBOX_IMAGE } from "../kit/images.js";
import { nanosOf } from "../kit/time.js";
import { field, inspect, runContainers, startContainerRun, type ContainerRun } from "./container-fixture.js";

/** StreamContainers' ids, sorted. */
async function streamIds(r: ContainerRun, filter: MessageInitShape<typeof ContainerFilterSchema>): Promise<string[]> {
  const answers = await r.cri.stream(RuntimeService.method.streamContainers, { filter });
  return answers.flatMap((a) => a.containers.map((c) => c.id)).sort();
}

describe("container lifecycle", () => {
  let r: ContainerRun;
  let started = false;

  before(async () => {
    r = await startContainerRun();
    started = true;
  });
  after(async () => {
    if (started) await r.close();
  });

  it("creates under the CRI name with labels, annotations, env, command and the sandbox's namespaces", async () => {
    const pod = await r.pod("create");
    const config = r.container("web", {
      metadata: { name: "web", attempt: 2 },
      image: { image: BUSYBOX_IMAGE, userSpecifiedImage: "busybox" },
      command: ["sh", "-c"],
      args: ["echo started; sleep 600"],
      workingDir: "/tmp",
      envs: [{ key: "GREETING", value: Buffer.from("hello world") }, { key: "EMPTY", value: new Uint8Array() }],
      labels: { tier: "front" },
      annotations: { "kubernetes.io/note": "n1" },
      logPath: "web/2.log",
      stopSignal: Signal.SIGQUIT,
    });
    const id = await r.create(pod, config);
    const c = await inspect(id);
    const m = pod.config.metadata ?? {};
    assert.equal(field(c, "Name"), `/k8s_web_${m.name ?? ""}_${m.namespace ?? ""}_${m.uid ?? ""}_2`);
    assert.equal(field(c, "State", "Status"), "created");
    assert.deepEqual(field(c, "Config", "Entrypoint"), ["sh", "-c"]);
    assert.deepEqual(field(c, "Config", "Cmd"), ["echo started; sleep 600"]);
    assert.equal(field(c, "Config", "WorkingDir"), "/tmp");
    assert.equal(field(c, "Config", "StopSignal"), "SIGQUIT");
    const env = field(c, "Config", "Env") as string[]; // an array of strings in Docker's inspect
    assert.ok(env.includes("GREETING=hello world") && env.includes("EMPTY="));
    const labels = field(c, "Config", "Labels");
    assert.equal(field(labels, "tier"), "front");
    assert.equal(field(labels, "annotation.kubernetes.io/note"), "n1");
    assert.equal(field(labels, "io.kubernetes.docker.type"), "container");
    assert.equal(field(labels, "io.kubernetes.sandbox.id"), pod.id);
    assert.equal(field(labels, "io.kubernetes.container.logpath"), join(r.dir, "pod-create", "web/2.log"));
    assert.equal(field(c, "HostConfig", "NetworkMode"), `container:${pod.id}`);
    assert.equal(field(c, "HostConfig", "IpcMode"), `container:${pod.id}`);
    assert.equal(field(c, "HostConfig", "PidMode"), `container:${pod.id}`);
    assert.deepEqual(field(c, "HostConfig", "RestartPolicy", "Name"), "no");
    assert.deepEqual(field(c, "Config", "Healthcheck", "Test"), ["NONE"]);
    assert.equal(field(c, "HostConfig", "ShmSize"), 64 * 1024 * 1024);

    await r.cri.call(RuntimeService.method.startContainer, { containerId: id });
    assert.equal((await r.exec(id, ["sh", "-c", "echo $GREETING; pwd"])).stdout, "hello world\n/tmp\n");
    // The sandbox's /dev/shm and network namespace are the container's.
    const shm = await r.exec(id, ["df", "-k", "/dev/shm"]);
    assert.match(shm.stdout, /\s65536\s/, "a 64 MiB /dev/shm");
    const sandboxPid = Number(field(await inspect(pod.id), "State", "Pid"));
    const containerPid = Number(field(await inspect(id), "State", "Pid"));
    const { readlink } = await import("node:fs/promises");
    assert.equal(await readlink(`/proc/${containerPid}/ns/net`), await readlink(`/proc/${sandboxPid}/ns/net`));
    assert.equal(await readlink(`/proc/${containerPid}/ns/ipc`), await readlink(`/proc/${sandboxPid}/ns/ipc`));
    assert.equal(await readlink(`/proc/${containerPid}/ns/pid`), await readlink(`/proc/${sandboxPid}/ns/pid`), "no namespace options: POD, as with cri-dockerd");
    const own = await r.run(pod, r.container("ownpid", { linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.CONTAINER } } } }));
    const ownPid = Number(field(await inspect(own), "State", "Pid"));
    assert.notEqual(await readlink(`/proc/${ownPid}/ns/pid`), await readlink(`/proc/${sandboxPid}/ns/pid`), "CONTAINER PID mode: its own");
  });

  it("reports status: state, times in nanoseconds, image, labels, annotations, mounts, log path, resources, user", async () => {
    const pod = await r.pod("status");
    const hostDir = join(r.dir, "status-vol");
    await mkdir(hostDir, { recursive: true });
    const before = BigInt(Date.now()) * 1_000_000n;
    const id = await r.create(pod, r.container("app", {
      labels: { role: "status" },
      annotations: { a: "1" },
      logPath: "app/0.log",
      mounts: [{ hostPath: hostDir, containerPath: "/data", readonly: true }],
      linux: { resources: { cpuShares: 512n, cpuQuota: 50_000n, cpuPeriod: 100_000n, memoryLimitInBytes: 64n * 1024n * 1024n, cpusetCpus: "0" }, securityContext: { runAsUser: { value: 1234n }, runAsGroup: { value: 2345n }, supplementalGroups: [3456n] } },
    }));
    let s = (await r.cri.call(RuntimeService.method.containerStatus, { containerId: id })).status;
    assert.ok(s !== undefined);
    assert.equal(s.state, ContainerState.CONTAINER_CREATED);
    assert.equal(s.startedAt, 0n);
    assert.equal(s.finishedAt, 0n);
    const c0 = await inspect(id);
    assert.equal(s.createdAt, nanosOf(String(field(c0, "Created"))));
    assert.ok(s.createdAt >= before - 2_000_000_000n);

    await r.cri.call(RuntimeService.method.startContainer, { containerId: id });
    const res = await r.cri.call(RuntimeService.method.containerStatus, { containerId: id, verbose: true });
    s = res.status;
    assert.ok(s !== undefined);
    const c = await inspect(id);
    assert.equal(s.id, id);
    assert.deepEqual([s.metadata?.name, s.metadata?.attempt], ["app", 0]);
    assert.equal(s.state, ContainerState.CONTAINER_RUNNING);
    assert.equal(s.startedAt, nanosOf(String(field(c, "State", "StartedAt"))));
    assert.equal(s.image?.image, BUSYBOX_IMAGE);
    const imageId = String(field(c, "Image"));
    // A locally built image has no repo digest on the classic store; the containerd store gives it
    // repo@<id> (a digest no registry has: Docker's API cannot tell it from a pulled one).
    const image = await dockerJson({ method: "GET", path: `/images/${imageId}/json` });
    const raw = field(image, "RepoDigests");
    const own = (Array.isArray(raw) ? (raw as unknown[]) : []).find((d): d is string => typeof d === "string" && d.startsWith(`${BUSYBOX_IMAGE.split(":")[0] ?? ""}@`));
    assert.equal(s.imageRef, own === undefined ? `docker://${imageId}` : `docker-pullable://${own}`);
    assert.equal(s.imageId, imageId);
    assert.equal(s.labels.role, "status");
    assert.equal(s.labels["io.kubernetes.docker.type"], undefined);
    assert.deepEqual(s.annotations, { a: "1" });
    assert.equal(s.logPath, join(r.dir, "pod-status", "app/0.log"));
    assert.deepEqual(s.mounts.map((m) => [m.hostPath, m.containerPath, m.readonly, m.propagation]), [[hostDir, "/data", true, MountPropagation.PROPAGATION_PRIVATE]]);
    const lr = s.resources?.linux;
    assert.deepEqual([lr?.cpuShares, lr?.cpuQuota, lr?.cpuPeriod, lr?.memoryLimitInBytes, lr?.memorySwapLimitInBytes, lr?.cpusetCpus], [512n, 50_000n, 100_000n, 67108864n, 67108864n, "0"]);
    assert.deepEqual([s.user?.linux?.uid, s.user?.linux?.gid], [1234n, 2345n]);
    assert.ok(s.user?.linux?.supplementalGroups.includes(3456n));
    const info = JSON.parse(res.info.info ?? "{}") as Record<string, unknown>; // docker-cri writes a JSON object there
    assert.equal(info.pid, field(c, "State", "Pid"));
    assert.equal(info.networkMode, `container:${pod.id}`);
  });

  it("lists by id prefix, state, sandbox id and label selector", async () => {
    const podA = await r.pod("list-a");
    const podB = await r.pod("list-b");
    const a = await r.run(podA, r.container("a", { labels: { group: "list", role: "a" } }));
    const b = await r.create(podB, r.container("b", { labels: { group: "list", role: "b" } }));
    const list = async (filter: { id?: string; podSandboxId?: string; state?: { state: ContainerState }; labelSelector?: Record<string, string> }) =>
      (await r.cri.call(RuntimeService.method.listContainers, { filter: { ...filter, labelSelector: { ...r.sandbox.selector, group: "list", ...filter.labelSelector } } })).containers;
    const ids = (items: { id: string }[]) => items.map((i) => i.id).sort();
    assert.deepEqual(ids(await list({})), [a, b].sort());
    assert.deepEqual(ids(await list({ id: a.slice(0, 10) })), [a]);
    assert.deepEqual(ids(await list({ podSandboxId: podB.id })), [b]);
    assert.deepEqual(ids(await list({ podSandboxId: podB.id.slice(0, 12) })), [b]);
    assert.deepEqual(ids(await list({ state: { state: ContainerState.CONTAINER_RUNNING } })), [a]);
    assert.deepEqual(ids(await list({ state: { state: ContainerState.CONTAINER_CREATED } })), [b]);
    assert.deepEqual(ids(await list({ state: { state: ContainerState.CONTAINER_EXITED } })), []);
    assert.deepEqual(ids(await list({ labelSelector: { role: "b" } })), [b]);
    assert.deepEqual(ids(await list({ id: a, podSandboxId: podB.id })), [], "filters are ANDed");
    const item = (await list({ id: a }))[0];
    assert.ok(item !== undefined);
    assert.equal(item.podSandboxId, podA.id);
    assert.deepEqual([item.metadata?.name, item.metadata?.attempt], ["a", 0]);
    assert.equal(item.image?.image, BUSYBOX_IMAGE);
    assert.equal(item.imageId, String(field(await inspect(a), "Image")));
    assert.equal(item.labels.role, "a");
    assert.ok(item.createdAt > 0n);
    // StreamContainers gives the same answer in messages.
    assert.deepEqual(await streamIds(r, { labelSelector: { ...r.sandbox.selector, group: "list" } }), [a, b].sort());
    assert.deepEqual(await streamIds(r, { labelSelector: { ...r.sandbox.selector, group: "list" }, state: { state: ContainerState.CONTAINER_CREATED } }), [b]);

    // Served from the state cache, the lists show a change right after the call that made it.
    await r.cri.call(RuntimeService.method.startContainer, { containerId: b });
    await r.cri.call(RuntimeService.method.stopContainer, { containerId: a, timeout: 0n });
    const states = new Map((await list({})).map((c) => [c.id, c.state]));
    assert.deepEqual([states.get(a), states.get(b)], [ContainerState.CONTAINER_EXITED, ContainerState.CONTAINER_RUNNING]);
    assert.deepEqual(ids(await list({ state: { state: ContainerState.CONTAINER_CREATED } })), []);
    assert.deepEqual(ids(await list({ state: { state: ContainerState.CONTAINER_EXITED } })), [a]);
    const sandboxStates = new Map((await r.cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: r.sandbox.selector } })).items.map((p) => [p.id, p.state]));
    assert.equal(sandboxStates.get(podA.id), PodSandboxState.SANDBOX_READY);
    await r.cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: podA.id });
    const afterStop = new Map((await r.cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: r.sandbox.selector } })).items.map((p) => [p.id, p.state]));
    assert.equal(afterStop.get(podA.id), PodSandboxState.SANDBOX_NOTREADY, "a stopped sandbox lists NOTREADY right after its stop");
  });

  it("stops with the stop signal, kills after the timeout, and reports exit code and reason", async () => {
    const pod = await r.pod("stop");
    // Ignores SIGTERM: only the kill after the timeout ends it.
    const stubborn = await r.run(pod, r.container("stubborn", { command: ["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"] }));
    const t0 = Date.now();
    await r.cri.call(RuntimeService.method.stopContainer, { containerId: stubborn, timeout: 2n });
    const took = Date.now() - t0;
    assert.ok(took >= 1900 && took < 10_000, `stopped after ${took} ms`);
    let s = (await r.cri.call(RuntimeService.method.containerStatus, { containerId: stubborn })).status;
    assert.ok(s !== undefined);
    assert.deepEqual([s.state, s.exitCode, s.reason], [ContainerState.CONTAINER_EXITED, 137, "Error"]);
    assert.ok(s.finishedAt > s.startedAt && s.startedAt > 0n);

    const polite = await r.run(pod, r.container("polite", { command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"] }));
    const t1 = Date.now();
    await r.cri.call(RuntimeService.method.stopContainer, { containerId: polite, timeout: 30n });
    assert.ok(Date.now() - t1 < 5000);
    s = (await r.cri.call(RuntimeService.method.containerStatus, { containerId: polite })).status;
    assert.deepEqual([s?.exitCode, s?.reason], [0, "Completed"]);
  });

  it("is idempotent: stop and remove succeed for stopped, removed and unknown containers; status is NotFound", async () => {
    const pod = await r.pod("idem");
    const id = await r.run(pod, r.container("idem"));
    await r.cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 0n });
    await r.cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 0n });
    await r.cri.call(RuntimeService.method.removeContainer, { containerId: id });
    assert.equal(await inspect(id), undefined);
    await r.cri.call(RuntimeService.method.removeContainer, { containerId: id });
    await r.cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 0n });
    for (const unknown of ["f".repeat(64), randomUUID(), "../../images"]) {
      await r.cri.call(RuntimeService.method.stopContainer, { containerId: unknown });
      await r.cri.call(RuntimeService.method.removeContainer, { containerId: unknown });
      await assert.rejects(r.cri.call(RuntimeService.method.containerStatus, { containerId: unknown }), (err) => isGrpcError(err, grpcStatus.NOT_FOUND));
    }
    // A sandbox is not a container.
    await assert.rejects(r.cri.call(RuntimeService.method.containerStatus, { containerId: pod.id }), (err) => isGrpcError(err, grpcStatus.NOT_FOUND));
    await r.cri.call(RuntimeService.method.removeContainer, { containerId: pod.id });
    assert.equal(field(await inspect(pod.id), "State", "Running"), true, "RemoveContainer leaves a sandbox alone");
    await assert.rejects(r.cri.call(RuntimeService.method.startContainer, { containerId: "f".repeat(64) }), (err) => isGrpcError(err, grpcStatus.NOT_FOUND));
  });

  it("removes a running container by force", async () => {
    const pod = await r.pod("rm-running");
    const id = await r.run(pod, r.container("busy"));
    await r.cri.call(RuntimeService.method.removeContainer, { containerId: id });
    assert.equal(await inspect(id), undefined);
  });

  it("says plainly when the command is not in the image", async () => {
    const pod = await r.pod("noexec");
    const id = await r.create(pod, r.container("noexec", { command: ["no-such-command"] }));
    await assert.rejects(r.cri.call(RuntimeService.method.startContainer, { containerId: id }), (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT, /the executable "no-such-command" was not found in the container's \$PATH/));
  });

  it("reports OOMKilled for a container over its memory limit", async () => {
    const pod = await r.pod("oom");
    // tail buffers an endless line of /dev/zero in memory.
    const id = await r.run(pod, r.container("oom", { command: ["tail", "/dev/zero"], linux: { resources: { memoryLimitInBytes: 16n * 1024n * 1024n } } }));
    await r.waitFor(id, ContainerState.CONTAINER_EXITED, 30_000);
    const s = (await r.cri.call(RuntimeService.method.containerStatus, { containerId: id })).status;
    assert.deepEqual([s?.reason, s?.exitCode], ["OOMKilled", 137]);
  });

  it("gives the termination message file as the message", async () => {
    const pod = await r.pod("term");
    const hostFile = join(r.dir, `termination-${randomUUID()}`);
    await writeFile(hostFile, "");
    const id = await r.run(pod, r.container("term", {
      command: ["sh", "-c", "echo 'bye: disk full' > /dev/termination-log; exit 3"],
      mounts: [{ hostPath: hostFile, containerPath: "/dev/termination-log" }],
      annotations: { "io.kubernetes.container.terminationMessagePath": "/dev/termination-log" },
    }));
    await r.waitFor(id, ContainerState.CONTAINER_EXITED);
    const s = (await r.cri.call(RuntimeService.method.containerStatus, { containerId: id })).status;
    assert.deepEqual([s?.exitCode, s?.reason, s?.message], [3, "Error", "bye: disk full\n"]);
  });

  it("updates CPU, memory and cpuset of a running container", async () => {
    const pod = await r.pod("update");
    const id = await r.run(pod, r.container("upd", { linux: { resources: { cpuShares: 256n, memoryLimitInBytes: 64n * 1024n * 1024n } } }));
    await r.cri.call(RuntimeService.method.updateContainerResources, {
      containerId: id,
      linux: { cpuShares: 1024n, cpuQuota: 20_000n, cpuPeriod: 100_000n, memoryLimitInBytes: 128n * 1024n * 1024n, cpusetCpus: "0", cpusetMems: "0" },
    });
    const h = field(await inspect(id), "HostConfig");
    assert.deepEqual([field(h, "CpuShares"), field(h, "CpuQuota"), field(h, "CpuPeriod"), field(h, "Memory"), field(h, "MemorySwap"), field(h, "CpusetCpus")], [1024, 20000, 100000, 134217728, 134217728, "0"]);
    // The container's own cgroup says so too.
    assert.equal((await r.exec(id, ["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"])).stdout.trim(), "134217728");
    await assert.rejects(
      r.cri.call(RuntimeService.method.updateContainerResources, { containerId: id, linux: { hugepageLimits: [{ pageSize: "2MB", limit: 2097152n }] } }),
      (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT, "hugepages"),
    );
    await assert.rejects(r.cri.call(RuntimeService.method.updateContainerResources, { containerId: "f".repeat(64), linux: {} }), (err) => isGrpcError(err, grpcStatus.NOT_FOUND));
  });

  it("recovers a name held by a stale container, as dockershim did", async () => {
    const pod = await r.pod("conflict");
    const config = r.container("dup");
    const first = await r.create(pod, config);
    // The kubelet gave up on the first call and retries with the same attempt number.
    const second = await r.create(pod, config);
    assert.notEqual(second, first);
    assert.equal(await inspect(first), undefined, "the stale holder was removed");
    const m = pod.config.metadata ?? {};
    assert.equal(field(await inspect(second), "Name"), `/k8s_dup_${m.name ?? ""}_${m.namespace ?? ""}_${m.uid ?? ""}_0`, "under the same name");
    // A running holder is never removed.
    await r.cri.call(RuntimeService.method.startContainer, { containerId: second });
    await assert.rejects(r.create(pod, config), (err) => isGrpcError(err, grpcStatus.ALREADY_EXISTS));
    assert.equal(field(await inspect(second), "State", "Running"), true);
  });

  it("refuses what it cannot honour with InvalidArgument and creates nothing", async () => {
    const pod = await r.pod("invalid");
    const before = await runContainers(r.sandbox);
    const bad: [object, string][] = [
      [{ metadata: undefined }, "needs config.metadata"],
      [{ metadata: { name: "a_b" } }, 'name "a_b" may only contain'],
      [{ image: { image: "" } }, "image is empty"],
      // CDI devices and recursive read-only depend on the engine: container-engine-features.test.ts.
      [{ CDIDevices: [{ name: "gpu0" }] }, "fully qualified"],
      [{ mounts: [{ hostPath: "rel", containerPath: "/x" }] }, "host path must be absolute"],
      [{ mounts: [{ hostPath: "/tmp", containerPath: "/x", uidMappings: [{ hostId: 1, containerId: 0, length: 1 }] }] }, "ID-map"],
      [{ linux: { resources: { hugepageLimits: [{ pageSize: "2MB", limit: 4194304n }] } } }, "hugepages"],
      [{ linux: { resources: { unified: { "memory.high": "1" } } } }, "unified"],
      [{ linux: { resources: { memoryLimitInBytes: 64n * 1024n * 1024n, memorySwapLimitInBytes: 1n } } }, "below memory_limit_in_bytes"],
      [{ linux: { securityContext: { runAsGroup: { value: 1n } } } }, "run_as_group is set without run_as_user"],
      [{ linux: { securityContext: { runAsUser: { value: 1n }, runAsUsername: "x" } } }, "both set"],
      [{ linux: { securityContext: { capabilities: { addCapabilities: ["FLY"] } } } }, 'Unknown capability "FLY"'],
      [{ linux: { securityContext: { capabilities: { addAmbientCapabilities: ["NET_RAW"] } } } }, "ambient"],
      [{ linux: { securityContext: { supplementalGroupsPolicy: 1 } } }, "Strict"],
      [{ linux: { securityContext: { apparmor: { profileType: 2, localhostRef: "my-profile" } } } }, "AppArmor"],
      [{ linux: { securityContext: { seccomp: { profileType: 2, localhostRef: "/no/such/profile.json" } } } }, "Cannot load seccomp profile"],
      [{ linux: { securityContext: { namespaceOptions: { usernsOptions: { mode: 0 } } } } }, "user namespace"],
      [{ logPath: "../../etc/passwd" }, '".."'],
      [{ envs: [{ key: "A=B", value: new Uint8Array() }] }, "environment variable"],
    ];
    for (const [over, message] of bad) {
      const config = { ...r.container("bad"), ...over };
      await assert.rejects(r.create(pod, config), (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT, message), message);
    }
    await assert.rejects(r.cri.call(RuntimeService.method.createContainer, { podSandboxId: pod.id }), (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT, "needs a config"));
    await assert.rejects(r.create({ id: "f".repeat(64), config: pod.config }, r.container("nopod")), (err) => isGrpcError(err, grpcStatus.NOT_FOUND, "no such pod sandbox"));
    assert.deepEqual(await runContainers(r.sandbox), before);
  });

  it("PodSandboxStatus reports the pod's containers; RemovePodSandbox removes them through the container path", async () => {
    const pod = await r.pod("podstatus");
    const a = await r.run(pod, r.container("a"));
    const b = await r.create(pod, r.container("b"));
    const res = await r.cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: pod.id });
    assert.deepEqual(res.containersStatuses.map((s) => [s.id, s.state]).sort(), [[a, ContainerState.CONTAINER_RUNNING], [b, ContainerState.CONTAINER_CREATED]].sort());
    await r.cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: pod.id });
    assert.equal(await inspect(a), undefined);
    assert.equal(await inspect(b), undefined);
    // Other engineers' containers on this dockerd are never touched: only ours were listed.
    const mine = await dockerJson({ method: "GET", path: "/containers/json", query: { all: "1", filters: JSON.stringify({ label: [`io.kubernetes.sandbox.id=${pod.id}`] }) } });
    assert.deepEqual(mine, []);
  });
});
