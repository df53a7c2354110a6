/**
 * The kubelet's steady-state CRI load, in a process of its own: bench/kubelet.ts forks it (with IPC) so
 * that the runner's sampling of /proc never delays a call, and a call's latency is only this process's
 * grpc-js client and docker-cri. One client on the socket; every call is fired at its scheduled time
 * without waiting for the others, as the kubelet's PLEG, status, stats, image and pod workers are
 * separate goroutines (a slow answer makes the next calls overlap, it never delays them).
 *
 * Schedule (ms from the start of the window, repeated every period; the phases only keep the jobs from
 * landing on the same millisecond):
 *   relist: ListPodSandbox then ListContainers, every 1 s   Status every 5 s
 *   ListContainerStats + ListPodSandboxStats, every 10 s   ImageFsInfo every 10 s   ListImages every 30 s
 *   Version every 10 s   ImageStatus of each given image every 10 s
 *   with plan.reference: Version of bench/empty-grpc-server.ts every 10 s, 100 ms after docker-cri's
 *   each pod, once a minute at its own slot (pod i at i·60/N s): PodSandboxStatus, then ListContainers
 *   filtered by the pod, then ContainerStatus of each container it listed (one pod worker's status sync).
 *
 * Protocol: the parent sends a LoadPlan; this process makes one call of each RPC (warm-up, not
 * measured), sends {type: "ready"}, waits for {type: "go"}, runs the schedule for plan.seconds, waits
 * for the calls still in flight, sends a LoadResult and exits. It exits too when the parent goes away.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type MessageInitShape } from "@bufbuild/protobuf";
import { ImageService, ListContainersResponseSchema, ListPodSandboxResponseSchema, RuntimeService } from "../src/gen/index.js";
import { criClient, type CriClient } from "../test/kit/cri-client.js";

export interface LoadPlan {
  type: "plan";
  socketPath: string;
  seconds: number;
  pods: { sandbox: string; container: string }[];
  images: string[];
  /** bench/empty-grpc-server.ts's socket: its Version is timed on Version's schedule, 100 ms after it, as the row `name`. */
  reference?: { socketPath: string; name: string };
}

export interface RpcFigures {
  /** Latencies of the calls that succeeded. */
  ms: number[];
  errors: number;
  firstError?: string;
}

export interface LoadResult {
  type: "result";
  rpcs: Record<string, RpcFigures>;
  /** What the last relist saw. */
  listed: { sandboxes: number; containers: number };
  client: { cpuS: number; loopDelayP99Ms: number; loopDelayMaxMs: number; lateMaxMs: number };
}

function isPlan(m: unknown): m is LoadPlan {
  return typeof m === "object" && m !== null && Reflect.get(m, "type") === "plan";
}

function send(msg: LoadResult | { type: "ready" }): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send?.(msg, undefined, {}, (err: Error | null) => { if (err === null) resolve(); else reject(err); });
  });
}

function nextMessage(pred: (m: unknown) => boolean): Promise<unknown> {
  return new Promise((resolve) => {
    const on = (m: unknown): void => {
      if (!pred(m)) return;
      process.off("message", on);
      resolve(m);
    };
    process.on("message", on);
  });
}

const rpcs = new Map<string, RpcFigures>();
/** The last relist's answers, decoded once at the end for the counts. */
const lastRelist: { sandboxes?: Buffer; containers?: Buffer } = {};

/**
 * Times one call under `name`, from sending it to its answer's arrival. Answers stay bytes (the
 * request is encoded once, ahead): decoding 110 pods' stats with protobuf-es takes this process tens
 * of milliseconds, which the kubelet's grpc-go does in a fraction of, and while it decoded, the
 * arrival of every other answer waited, so each call's latency was this client's as much as
 * docker-cri's. Returns the answer's bytes (undefined when it failed).
 */
async function timed(name: string, call: () => Promise<Buffer>): Promise<Buffer | undefined> {
  const figures = rpcs.get(name) ?? { ms: [], errors: 0 };
  rpcs.set(name, figures);
  const start = performance.now();
  try {
    const answer = await call();
    figures.ms.push(performance.now() - start);
    return answer;
  } catch (err) {
    figures.errors++;
    figures.firstError ??= err instanceof Error ? err.message : String(err);
    return undefined;
  }
}

type AnyMethod = DescMethod & { methodKind: "unary" };

/** The call of `method` with `request` encoded once, answered as bytes. */
function raw<I extends DescMessage>(cri: CriClient, method: AnyMethod & { input: I }, request: MessageInitShape<I>): () => Promise<Buffer> {
  const path = `/${method.parent.typeName}/${method.name}`;
  const bytes = toBinary(method.input, create(method.input, request));
  return () => cri.callRaw(path, bytes);
}

interface Job {
  periodMs: number;
  phaseMs: number;
  run(): Promise<void>;
}

function jobs(cri: CriClient, plan: LoadPlan): Job[] {
  const R = RuntimeService.method;
  const I = ImageService.method;
  const listPodSandbox = raw(cri, R.listPodSandbox, {});
  const listContainers = raw(cri, R.listContainers, {});
  const status = raw(cri, R.status, {});
  const containerStats = raw(cri, R.listContainerStats, {});
  const podStats = raw(cri, R.listPodSandboxStats, {});
  const imageFsInfo = raw(cri, I.imageFsInfo, {});
  const listImages = raw(cri, I.listImages, {});
  const version = raw(cri, R.version, {});
  const reference = plan.reference === undefined ? undefined : { name: plan.reference.name, version: raw(criClient(plan.reference.socketPath), R.version, {}) };
  const imageStatuses = plan.images.map((image) => raw(cri, I.imageStatus, { image: { image } }));
  const list: Job[] = [
    {
      periodMs: 1000, phaseMs: 0, async run() {
        const sandboxes = await timed("ListPodSandbox", listPodSandbox);
        const containers = await timed("ListContainers (relist)", listContainers);
        if (sandboxes !== undefined) lastRelist.sandboxes = sandboxes;
        if (containers !== undefined) lastRelist.containers = containers;
      },
    },
    { periodMs: 5000, phaseMs: 230, async run() { await timed("Status", status); } },
    {
      periodMs: 10_000, phaseMs: 470, async run() {
        await Promise.all([timed("ListContainerStats", containerStats), timed("ListPodSandboxStats", podStats)]);
      },
    },
    { periodMs: 10_000, phaseMs: 3_310, async run() { await timed("ImageFsInfo", imageFsInfo); } },
    { periodMs: 30_000, phaseMs: 5_130, async run() { await timed("ListImages", listImages); } },
    { periodMs: 10_000, phaseMs: 6_670, async run() { await timed("Version", version); } },
    ...(reference === undefined ? [] : [{ periodMs: 10_000, phaseMs: 6_770, async run() { await timed(reference.name, reference.version); } }]),
    {
      periodMs: 10_000, phaseMs: 8_590, async run() {
        await Promise.all(imageStatuses.map((call) => timed("ImageStatus", call)));
      },
    },
  ];
  const slotMs = 60_000 / Math.max(1, plan.pods.length);
  plan.pods.forEach((pod, i) => {
    const sandboxStatus = raw(cri, R.podSandboxStatus, { podSandboxId: pod.sandbox });
    const podContainers = raw(cri, R.listContainers, { filter: { podSandboxId: pod.sandbox } });
    list.push({
      periodMs: 60_000, phaseMs: 110 + i * slotMs, async run() {
        await timed("PodSandboxStatus", sandboxStatus);
        const r = await timed("ListContainers (pod)", podContainers);
        // One container's list: small, decoded for the ids the pod worker asks about next.
        const ids = r === undefined ? [] : fromBinary(ListContainersResponseSchema, r).containers.map((c) => c.id);
        for (const containerId of ids) await timed("ContainerStatus", raw(cri, R.containerStatus, { containerId }));
      },
    });
  });
  return list;
}

/** Fires every job at each of its times in [0, seconds), then waits for the calls in flight. */
async function runSchedule(list: Job[], seconds: number): Promise<number> {
  const fires = list.flatMap((job) => {
    const times: { at: number; job: Job }[] = [];
    for (let at = job.phaseMs; at < seconds * 1000; at += job.periodMs) times.push({ at, job });
    return times;
  }).sort((a, b) => a.at - b.at);
  const inFlight: Promise<void>[] = [];
  let lateMaxMs = 0;
  const start = performance.now();
  for (const f of fires) {
    const wait = start + f.at - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    lateMaxMs = Math.max(lateMaxMs, performance.now() - start - f.at);
    inFlight.push(f.job.run());
  }
  const tail = start + seconds * 1000 - performance.now();
  if (tail > 0) await new Promise((r) => setTimeout(r, tail));
  await Promise.all(inFlight);
  return lateMaxMs;
}

async function main(): Promise<void> {
  process.on("disconnect", () => process.exit(0));
  const plan = await nextMessage(isPlan);
  if (!isPlan(plan)) throw new Error("no plan");
  const cri = criClient(plan.socketPath);
  const list = jobs(cri, plan);
  // Warm-up: every job of the node, and the first pod's.
  for (const job of list.slice(0, list.length - plan.pods.length + 1)) await job.run();
  rpcs.clear();
  const go = nextMessage((m) => typeof m === "object" && m !== null && Reflect.get(m, "type") === "go");
  await send({ type: "ready" });
  await go;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const lateMaxMs = await runSchedule(list, plan.seconds);
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  await send({
    type: "result",
    rpcs: Object.fromEntries(rpcs),
    listed: {
      sandboxes: lastRelist.sandboxes === undefined ? 0 : fromBinary(ListPodSandboxResponseSchema, lastRelist.sandboxes).items.length,
      containers: lastRelist.containers === undefined ? 0 : fromBinary(ListContainersResponseSchema, lastRelist.containers).containers.length,
    },
    client: { cpuS: (cpu.user + cpu.system) / 1e6, loopDelayP99Ms: loop.percentile(99) / 1e6, loopDelayMaxMs: loop.max / 1e6, lateMaxMs },
  });
  cri.close();
  process.disconnect();
}

main().catch((err: unknown) => {
  process.stderr.write(`kubelet load failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
