/**
 * Pod sandbox lifecycle over the CRI socket against the real dockerd: RunPodSandbox, PodSandboxStatus,
 * ListPodSandbox, StopPodSandbox, RemovePodSandbox, checked against what Docker and the checkpoint
 * directory really hold.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { NamespaceMode, PodSandboxState, RuntimeService, type PodSandboxFilter, type PodSandboxFilterSchema } from "../../src/gen/index.js";
import { isGrpcError, type CriClient } from "../kit/cri-client.js";
import type { Daemon } from "../kit/daemon.js";
import { BUSYBOX_IMAGE, PAUSE_IMAGE } from "../kit/images.js";
import { nanosOf } from "../kit/time.js";
import { field, inspect, newRun, removeRunContainers, runContainers, runSandbox, startAppContainer, startSandboxDaemon, type SandboxRun } from "../kit/sandbox-run.js";

type FilterInit = Exclude<MessageInitShape<typeof PodSandboxFilterSchema>, PodSandboxFilter>;

describe("pod sandbox lifecycle", () => {
  let daemon: Daemon;
  let started = false;
  let cri: CriClient;
  let run: SandboxRun;

  before(async () => {
    run = newRun();
    daemon = await startSandboxDaemon();
    started = true;
    cri = daemon.client();
  });
  after(async () => {
    // Also runs when before() failed half-way.
    if (started) await daemon.stop();
    await removeRunContainers(run);
    if (started) await daemon.cleanup();
  });

  const list = async (filter: FilterInit = {}) =>
    (await cri.call(RuntimeService.method.listPodSandbox, { filter: { ...filter, labelSelector: { ...run.selector, ...(filter.labelSelector ?? {}) } } })).items;

  it("runs the pause container under the pod's name with its labels, annotations, hostname and DNS, after checkpointing it", async () => {
    const config = run.pod("web", {
      hostname: "web-host",
      labels: { app: "web", "io.kubernetes.pod.name": "web" },
      annotations: { "kubernetes.io/config.source": "api", note: "n1" },
      dnsConfig: { servers: ["10.96.0.10"], searches: ["docker-cri-test.svc.cluster.local", "svc.cluster.local"], options: ["ndots:5"] },
    });
    const id = await runSandbox(cri, config);
    assert.match(id, /^[0-9a-f]{64}$/);
    const c = await inspect(id);
    const m = config.metadata ?? {};
    assert.equal(field(c, "Name"), `/k8s_POD_${m.name ?? ""}_${m.namespace ?? ""}_${m.uid ?? ""}_0`);
    assert.equal(field(c, "State", "Running"), true);
    assert.equal(field(c, "Config", "Image"), PAUSE_IMAGE);
    assert.equal(field(c, "Config", "Hostname"), "web-host");
    const labels = field(c, "Config", "Labels");
    assert.equal(field(labels, "app"), "web");
    assert.equal(field(labels, "annotation.kubernetes.io/config.source"), "api");
    assert.equal(field(labels, "annotation.note"), "n1");
    assert.equal(field(labels, "io.kubernetes.docker.type"), "podsandbox");
    assert.equal(field(labels, "io.kubernetes.container.name"), "POD");
    assert.equal(field(c, "HostConfig", "IpcMode"), "shareable");
    // docker-cri asks for "default"; Docker 20.10 keeps that name, 26.1 and 28.5 store it as "bridge".
    assert.ok(["default", "bridge"].includes(String(field(c, "HostConfig", "NetworkMode"))), String(field(c, "HostConfig", "NetworkMode")));
    const resolv = await readFile(String(field(c, "ResolvConfPath")), "utf8");
    assert.equal(resolv, "nameserver 10.96.0.10\nsearch docker-cri-test.svc.cluster.local svc.cluster.local\noptions ndots:5\n");
    const pid = Number(field(c, "State", "Pid"));
    assert.equal(await readFile(`/proc/${pid}/root/etc/resolv.conf`, "utf8"), resolv, "the pod sees the rewritten file");
    const checkpoint = JSON.parse(await readFile(join(daemon.rootDir, "sandbox", id), "utf8")) as Record<string, unknown>;
    assert.equal(checkpoint.name, m.name);
    assert.equal(checkpoint.namespace, m.namespace);
    assert.equal(field(checkpoint, "data", "uid"), m.uid);
    assert.equal(field(checkpoint, "data", "host_network"), false);
    assert.equal((await stat(join(daemon.rootDir, "sandbox", id))).mode & 0o777, 0o600);
  });

  it("reports status from Docker: state, creation time, IP, namespaces, labels, annotations, and verbose info", async () => {
    const config = run.pod("status", { labels: { role: "status" }, annotations: { a: "1" } });
    const before = BigInt(Date.now()) * 1_000_000n;
    const id = await runSandbox(cri, config);
    const r = await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: id, verbose: true });
    const s = r.status;
    const c = await inspect(id);
    assert.ok(s !== undefined);
    assert.equal(s.id, id);
    assert.equal(s.state, PodSandboxState.SANDBOX_READY);
    assert.deepEqual({ ...s.metadata, $typeName: undefined }, { ...config.metadata, $typeName: undefined });
    const created = s.createdAt;
    assert.ok(created >= before - 2_000_000_000n && created <= BigInt(Date.now()) * 1_000_000n, `createdAt ${created}`);
    assert.equal(created, nanosOf(String(field(c, "Created"))), "Docker's creation time to the nanosecond");
    // From the bridge endpoint: API 1.52 (Docker 29) drops the top-level NetworkSettings.IPAddress.
    assert.equal(s.network?.ip, field(c, "NetworkSettings", "Networks", "bridge", "IPAddress"));
    assert.match(s.network?.ip ?? "", /^\d+\.\d+\.\d+\.\d+$/);
    const options = s.linux?.namespaces?.options;
    assert.deepEqual([options?.network, options?.pid, options?.ipc], [NamespaceMode.POD, NamespaceMode.CONTAINER, NamespaceMode.POD]);
    assert.equal(s.labels.role, "status");
    assert.equal(s.labels["io.kubernetes.docker.type"], undefined, "the shim's labels are not CRI labels");
    assert.deepEqual(s.annotations, { a: "1" });
    assert.equal(s.runtimeHandler, "");
    const info = JSON.parse(r.info.info ?? "{}") as Record<string, unknown>;
    assert.equal(info.pid, field(c, "State", "Pid"));
    assert.equal(info.networkMode, field(c, "HostConfig", "NetworkMode"), "Docker's network mode, as it reports it");
    assert.ok(r.timestamp > 0n);
  });

  it("answers NotFound for an unknown id and InvalidArgument for none", async () => {
    await assert.rejects(cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: "f".repeat(64) }), (err) => isGrpcError(err, grpcStatus.NOT_FOUND, "not found"));
    await assert.rejects(cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: randomUUID() }), (err) => isGrpcError(err, grpcStatus.NOT_FOUND));
    await assert.rejects(cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: "../../images" }), (err) => isGrpcError(err, grpcStatus.NOT_FOUND));
    await assert.rejects(cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: "" }), (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT, "needs a pod_sandbox_id"));
  });

  it("refuses invalid requests with InvalidArgument and creates nothing", async () => {
    const before = await runContainers(run);
    const bad = [
      { ...run.pod("bad"), metadata: undefined },
      run.pod("bad_name"),
      run.pod("bad", { portMappings: [{ containerPort: 70000 }] }),
      run.pod("bad", { dnsConfig: { servers: ["not-an-ip"] } }),
    ];
    for (const config of bad) {
      await assert.rejects(cri.call(RuntimeService.method.runPodSandbox, { config }), (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT));
    }
    await assert.rejects(cri.call(RuntimeService.method.runPodSandbox, {}), (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT, "needs a config"));
    assert.deepEqual(await runContainers(run), before);
  });

  it("lists by id prefix, state and label selector", async () => {
    const a = await runSandbox(cri, run.pod("list-a", { labels: { group: "list", role: "a" } }));
    const b = await runSandbox(cri, run.pod("list-b", { labels: { group: "list", role: "b" } }));
    await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: b });
    const ids = (items: { id: string }[]) => items.map((i) => i.id).sort();
    assert.deepEqual(ids(await list({ labelSelector: { group: "list" } })), [a, b].sort());
    assert.deepEqual(ids(await list({ labelSelector: { group: "list" }, state: { state: PodSandboxState.SANDBOX_READY } })), [a]);
    assert.deepEqual(ids(await list({ labelSelector: { group: "list" }, state: { state: PodSandboxState.SANDBOX_NOTREADY } })), [b]);
    assert.deepEqual(ids(await list({ id: a.slice(0, 12) })), [a]);
    assert.deepEqual(ids(await list({ id: a })), [a]);
    assert.deepEqual(ids(await list({ labelSelector: { group: "list", role: "b" } })), [b]);
    assert.deepEqual(await list({ labelSelector: { group: "nothing" } }), []);
    const item = (await list({ id: a }))[0];
    assert.ok(item !== undefined);
    assert.equal(item.state, PodSandboxState.SANDBOX_READY);
    assert.equal(item.metadata?.name, `list-a-${run.runId}`);
    assert.equal(item.labels.role, "a");
    assert.ok(item.createdAt > 0n);
    // StreamPodSandboxes gives the same answer in messages.
    const streamed = await cri.stream(RuntimeService.method.streamPodSandboxes, { filter: { labelSelector: { ...run.selector, group: "list" } } });
    assert.deepEqual(ids(streamed.flatMap((m) => m.podSandboxes)), [a, b].sort());
  });

  it("publishes host ports and keeps the mappings in the checkpoint", async () => {
    const hostPort = 20000 + Math.floor(Math.random() * 20000);
    const id = await runSandbox(cri, run.pod("ports", { portMappings: [{ containerPort: 80, hostPort, hostIp: "127.0.0.1" }, { containerPort: 81 }] }));
    const c = await inspect(id);
    assert.deepEqual(field(c, "HostConfig", "PortBindings"), { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: String(hostPort) }] });
    assert.deepEqual(field(c, "NetworkSettings", "Ports", "80/tcp"), [{ HostIp: "127.0.0.1", HostPort: String(hostPort) }]);
    const checkpoint = JSON.parse(await readFile(join(daemon.rootDir, "sandbox", id), "utf8")) as unknown;
    assert.deepEqual(field(checkpoint, "data", "port_mappings"), [
      { protocol: "tcp", container_port: 80, host_port: hostPort, host_ip: "127.0.0.1" },
      { protocol: "tcp", container_port: 81, host_port: 0, host_ip: "" },
    ]);
  });

  it("StopPodSandbox force-stops the pod's containers and the sandbox, and is idempotent", async () => {
    const id = await runSandbox(cri, run.pod("stop"));
    const app = await startAppContainer(run, id, BUSYBOX_IMAGE);
    assert.equal(field(await inspect(app), "State", "Running"), true);
    await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: id });
    assert.equal(field(await inspect(app), "State", "Running"), false, "the app container is stopped");
    assert.equal(field(await inspect(id), "State", "Status"), "exited");
    const s = (await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: id })).status;
    assert.ok(s !== undefined);
    assert.equal(s.state, PodSandboxState.SANDBOX_NOTREADY);
    assert.equal(s.network?.ip, "", "a stopped sandbox has no IP");
    await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: id });
    await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: randomUUID() });
    await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: "0".repeat(64) });
    await assert.rejects(cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: "" }), (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT));
  });

  it("RemovePodSandbox removes the pod's containers, the sandbox and its checkpoint, and is idempotent", async () => {
    const id = await runSandbox(cri, run.pod("remove"));
    const app = await startAppContainer(run, id, BUSYBOX_IMAGE);
    // Not stopped first: running containers must be removed forcibly.
    await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: id });
    assert.equal(await inspect(app), undefined);
    assert.equal(await inspect(id), undefined);
    await assert.rejects(stat(join(daemon.rootDir, "sandbox", id)), /ENOENT/);
    assert.deepEqual(await list({ id }), []);
    await assert.rejects(cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: id }), (err) => isGrpcError(err, grpcStatus.NOT_FOUND));
    await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: id });
    await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: randomUUID() });
  });
});
