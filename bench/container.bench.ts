/**
 * App container benchmarks, each against the Docker calls a shim without docker-cri's design would
 * make for the same work: the lifecycle (create, start, status, stop, remove), ListContainers with 220
 * containers (2 per pod of the kubelet's default 110 pods), and ExecSync. Each case runs its own
 * docker-cri with the locally built pause image, and the direct side gives its containers the same
 * namespaces, labels and settings through Docker's API.
 */
import { randomUUID } from "node:crypto";
import { StdFrameParser, type DockerTransport } from "../src/docker/index.js";
import { RuntimeService } from "../src/gen/index.js";
import type { CriClient } from "../test/kit/cri-client.js";
import { startDaemon, type Daemon } from "../test/kit/daemon.js";
import { BUSYBOX_IMAGE, ensureTestImages, PAUSE_IMAGE } from "../test/kit/images.js";
import type { BenchCase, BenchContext } from "./bench.js";
import { pool } from "./bench.js";

const benchLabel = "io.docker-cri.bench.container";
const listPods = 110;
const perPod = 2;

interface Own {
  daemon: Daemon;
  cri: CriClient;
  /** The bench's pods: id and config. */
  pods: { id: string; config: ReturnType<typeof podConfig> }[];
  containers: string[];
}

function podConfig(ctx: BenchContext, tag: string) {
  return {
    metadata: { name: `bench-${tag}-${randomUUID().slice(0, 8)}`, namespace: "docker-cri-bench", uid: randomUUID(), attempt: 0 },
    labels: { [benchLabel]: `${ctx.runId}-${tag}` },
  };
}

function containerConfig(ctx: BenchContext, tag: string, name: string) {
  return {
    metadata: { name, attempt: 0 },
    image: { image: BUSYBOX_IMAGE },
    command: ["sleep", "3600"],
    labels: { [benchLabel]: `${ctx.runId}-${tag}` },
    linux: { resources: { cpuShares: 102n, memoryLimitInBytes: 64n * 1024n * 1024n } },
  };
}

async function ownDaemon(ctx: BenchContext, tag: string, pods: number): Promise<Own> {
  await ensureTestImages();
  const daemon = await startDaemon({ args: ["--log-level=warn", `--pod-infra-container-image=${PAUSE_IMAGE}`] });
  const cri = daemon.client();
  const own: Own = { daemon, cri, pods: [], containers: [] };
  await pool(Array.from({ length: pods }, (_, i) => i), 8, async () => {
    const config = podConfig(ctx, tag);
    const { podSandboxId } = await cri.call(RuntimeService.method.runPodSandbox, { config }, { deadlineMs: 120_000 });
    own.pods.push({ id: podSandboxId, config });
  });
  return own;
}

async function stopOwn(ctx: BenchContext, own: Own | undefined, tag: string): Promise<void> {
  if (own !== undefined) {
    await pool(own.pods, 8, async (p) => {
      await own.cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: p.id }, { deadlineMs: 120_000 });
    });
    await own.daemon.stop();
    await own.daemon.cleanup();
  }
  await sweep(ctx.docker, `${ctx.runId}-${tag}`);
}

/** Removes whatever a case left in Docker under its label (both sides). */
async function sweep(docker: DockerTransport, value: string): Promise<void> {
  const res = await docker.request({ operation: "list_containers", method: "GET", path: "/containers/json", query: { all: true, filters: { label: [`${benchLabel}=${value}`] } } });
  for (const c of Array.isArray(res.body) ? res.body : []) {
    await docker.request({ operation: "remove_container", method: "DELETE", path: `/containers/${idOf(c)}`, query: { force: true, v: true } }).catch(() => undefined);
  }
}

function idOf(body: unknown): string {
  const id: unknown = typeof body === "object" && body !== null ? Reflect.get(body, "Id") : undefined;
  if (typeof id !== "string") throw new Error("Docker answered no Id");
  return id;
}

/** Runs `fn` over `items` with at most `width` at a time. */

/** The direct side's container: what a minimal shim would ask Docker for an app container of the pod. */
function directBody(ctx: BenchContext, tag: string, sandboxId: string): Record<string, unknown> {
  const ns = `container:${sandboxId}`;
  return {
    Image: BUSYBOX_IMAGE,
    Entrypoint: ["sleep", "3600"],
    Labels: { [benchLabel]: `${ctx.runId}-${tag}`, "io.kubernetes.docker.type": "container", "io.kubernetes.sandbox.id": sandboxId },
    HostConfig: { NetworkMode: ns, IpcMode: ns, PidMode: ns, CpuShares: 102, Memory: 64 * 1024 * 1024, MemorySwap: 64 * 1024 * 1024, SecurityOpt: ["seccomp=unconfined"], RestartPolicy: { Name: "no" } },
  };
}

/** An exec through Docker's API: create, start (hijacked), read the output to its end, inspect. */
async function dockerExec(docker: DockerTransport, containerId: string, cmd: string[]): Promise<void> {
  const created = await docker.request({ operation: "create_exec", method: "POST", path: `/containers/${containerId}/exec`, body: { AttachStdout: true, AttachStderr: true, Tty: false, Cmd: cmd } });
  const execId = idOf(created.body);
  const h = await docker.hijack({ operation: "start_exec", method: "POST", path: `/exec/${execId}/start`, body: { Detach: false, Tty: false } });
  const parser = new StdFrameParser();
  parser.push(h.head);
  for await (const chunk of h.socket) if (Buffer.isBuffer(chunk)) parser.push(chunk);
  await docker.request({ operation: "inspect_exec", method: "GET", path: `/exec/${execId}/json` });
}

let lifecycle: Own | undefined;
let single: Own | undefined;
/** The container the next ContainerStatus or RemoveContainer iteration reads or removes. */
let prepared = "";

/** A container created for the next iteration, through CRI for the shim side and Docker for the direct one. */
async function prepareContainer(ctx: BenchContext, side: "shim" | "direct"): Promise<void> {
  const own = single;
  const pod = own?.pods[0];
  if (own === undefined || pod === undefined) throw new Error("no pod");
  if (side === "shim") {
    const { containerId } = await own.cri.call(RuntimeService.method.createContainer, { podSandboxId: pod.id, config: containerConfig(ctx, "one", `c${randomUUID().slice(0, 8)}`), sandboxConfig: pod.config });
    prepared = containerId;
  } else {
    prepared = await createDirect(ctx, "one", pod.id);
  }
}

async function createDirect(ctx: BenchContext, tag: string, sandboxId: string): Promise<string> {
  const created = await ctx.docker.request({
    operation: "create_container", method: "POST", path: "/containers/create",
    query: { name: `bench-direct-${ctx.runId}-${randomUUID().slice(0, 8)}` }, body: directBody(ctx, tag, sandboxId),
  });
  return idOf(created.body);
}

/** The three container calls the kubelet makes one at a time, each timed on its own (issue 15's table). */
function singleCallCases(): BenchCase[] {
  const setup = async (ctx: BenchContext): Promise<void> => {
    single = await ownDaemon(ctx, "one", 1);
  };
  const teardown = async (ctx: BenchContext): Promise<void> => {
    await stopOwn(ctx, single, "one");
    single = undefined;
  };
  const pod = (): string => single?.pods[0]?.id ?? "";
  return [
    {
      name: "CreateContainer",
      description: "CRI CreateContainer vs POST /containers/create with the same namespaces and settings",
      iterations: 30,
      setup,
      async shim(ctx) {
        const p = single?.pods[0];
        if (single === undefined || p === undefined) throw new Error("no pod");
        await single.cri.call(RuntimeService.method.createContainer, { podSandboxId: p.id, config: containerConfig(ctx, "one", `c${randomUUID().slice(0, 8)}`), sandboxConfig: p.config });
      },
      async direct(ctx) {
        await createDirect(ctx, "one", pod());
      },
      teardown,
    },
    {
      name: "ContainerStatus (just created)",
      description: "CRI ContainerStatus of a container created just before vs GET /containers/{id}/json",
      iterations: 30,
      setup,
      prepare: prepareContainer,
      async shim() {
        const r = await single?.cri.call(RuntimeService.method.containerStatus, { containerId: prepared });
        if (r?.status?.id !== prepared) throw new Error("ContainerStatus answered another container");
      },
      async direct(ctx) {
        await ctx.docker.request({ operation: "inspect_container", method: "GET", path: `/containers/${prepared}/json` });
      },
      teardown,
    },
    {
      name: "RemoveContainer",
      description: "CRI RemoveContainer of a created container vs DELETE /containers/{id}?force&v",
      iterations: 30,
      setup,
      prepare: prepareContainer,
      async shim() {
        await single?.cri.call(RuntimeService.method.removeContainer, { containerId: prepared });
      },
      async direct(ctx) {
        await ctx.docker.request({ operation: "remove_container", method: "DELETE", path: `/containers/${prepared}`, query: { force: true, v: true } });
      },
      teardown,
    },
  ];
}
let listing: Own | undefined;
let exec: Own | undefined;

export const cases: BenchCase[] = [
  ...singleCallCases(),
  {
    name: "Container lifecycle",
    description: "Create+Start+Status+Stop+Remove Container vs create+start+inspect+stop+remove",
    iterations: 20,
    async setup(ctx) {
      lifecycle = await ownDaemon(ctx, "life", 1);
    },
    async shim(ctx) {
      const own = lifecycle;
      const pod = own?.pods[0];
      if (own === undefined || pod === undefined) throw new Error("no pod");
      const { containerId } = await own.cri.call(RuntimeService.method.createContainer, { podSandboxId: pod.id, config: containerConfig(ctx, "life", `c${randomUUID().slice(0, 8)}`), sandboxConfig: pod.config });
      await own.cri.call(RuntimeService.method.startContainer, { containerId });
      await own.cri.call(RuntimeService.method.containerStatus, { containerId });
      await own.cri.call(RuntimeService.method.stopContainer, { containerId, timeout: 10n });
      await own.cri.call(RuntimeService.method.removeContainer, { containerId });
    },
    async direct(ctx) {
      const pod = lifecycle?.pods[0];
      if (pod === undefined) throw new Error("no pod");
      const created = await ctx.docker.request({
        operation: "create_container", method: "POST", path: "/containers/create",
        query: { name: `bench-direct-${ctx.runId}-${randomUUID().slice(0, 8)}` }, body: directBody(ctx, "life", pod.id),
      });
      const id = idOf(created.body);
      await ctx.docker.request({ operation: "start_container", method: "POST", path: `/containers/${id}/start` });
      await ctx.docker.request({ operation: "inspect_container", method: "GET", path: `/containers/${id}/json` });
      await ctx.docker.request({ operation: "stop_container", method: "POST", path: `/containers/${id}/stop`, query: { t: 10 } });
      await ctx.docker.request({ operation: "remove_container", method: "DELETE", path: `/containers/${id}`, query: { force: true, v: true } });
    },
    async teardown(ctx) {
      await stopOwn(ctx, lifecycle, "life");
      lifecycle = undefined;
    },
  },
  {
    name: `ListContainers ${listPods * perPod}`,
    description: `ListContainers by label with ${listPods * perPod} containers in ${listPods} pods vs GET /containers/json with the same label filter`,
    iterations: 50,
    async setup(ctx) {
      const own = await ownDaemon(ctx, "list", listPods);
      listing = own;
      const jobs = own.pods.flatMap((p) => Array.from({ length: perPod }, (_, i) => ({ p, i })));
      await pool(jobs, 8, async ({ p, i }) => {
        const { containerId } = await own.cri.call(RuntimeService.method.createContainer, { podSandboxId: p.id, config: containerConfig(ctx, "list", `c${i}`), sandboxConfig: p.config }, { deadlineMs: 120_000 });
        own.containers.push(containerId);
      });
    },
    async shim(ctx) {
      const r = await listing?.cri.call(RuntimeService.method.listContainers, { filter: { labelSelector: { [benchLabel]: `${ctx.runId}-list` } } });
      if (r?.containers.length !== listPods * perPod) throw new Error(`listed ${r?.containers.length ?? 0} containers, expected ${listPods * perPod}`);
    },
    async direct(ctx) {
      const res = await ctx.docker.request({
        operation: "list_containers", method: "GET", path: "/containers/json",
        query: { all: true, filters: { label: ["io.kubernetes.docker.type=container", `${benchLabel}=${ctx.runId}-list`] } },
      });
      if (!Array.isArray(res.body) || res.body.length !== listPods * perPod) throw new Error("direct list is incomplete");
    },
    async teardown(ctx) {
      await stopOwn(ctx, listing, "list");
      listing = undefined;
    },
  },
  {
    name: "ExecSync",
    description: "ExecSync `echo hello` vs exec create/start/inspect on dockerd",
    iterations: 50,
    async setup(ctx) {
      const own = await ownDaemon(ctx, "exec", 1);
      exec = own;
      const pod = own.pods[0];
      if (pod === undefined) throw new Error("no pod");
      const { containerId } = await own.cri.call(RuntimeService.method.createContainer, { podSandboxId: pod.id, config: containerConfig(ctx, "exec", "exec"), sandboxConfig: pod.config });
      await own.cri.call(RuntimeService.method.startContainer, { containerId });
      own.containers.push(containerId);
    },
    async shim() {
      const containerId = exec?.containers[0] ?? "";
      const r = await exec?.cri.call(RuntimeService.method.execSync, { containerId, cmd: ["echo", "hello"], timeout: 10n });
      if (r?.exitCode !== 0) throw new Error("exec failed");
    },
    async direct(ctx) {
      await dockerExec(ctx.docker, exec?.containers[0] ?? "", ["echo", "hello"]);
    },
    async teardown(ctx) {
      await stopOwn(ctx, exec, "exec");
      exec = undefined;
    },
  },
];
