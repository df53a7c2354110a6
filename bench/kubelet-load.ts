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
 *   each pod, once a minute at its own slot (pod i at i·60/N s): PodSandboxStatus, then ListContainers
 *   filtered by the pod, then ContainerStatus of each container it listed (one pod worker's status sync).
 *
 * Protocol: the parent sends a LoadPlan; this process makes one call of each RPC (warm-up, not
 * measured), sends {type: "ready"}, waits for {type: "go"}, runs the schedule for plan.seconds, waits
 * for the calls still in flight, sends a LoadResult and exits. It exits too when the parent goes away.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { ImageService, RuntimeService } from "../src/gen/index.js";
import { criClient, type CriClient } from "../test/kit/cri-client.js";

export interface LoadPlan {
  type: "plan";
  socketPath: string;
  seconds: number;
  pods: { sandbox: string; container: string }[];
  images: string[];
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
const listed = { sandboxes: 0, containers: 0 };

/**
 * Times one call under `name`, from sending it to its answer's arrival (`call` passes `arrived` as the
 * client's onReceived): decoding the answer is this client's work, which the kubelet's grpc-go does in a
 * fraction of what protobuf-es takes for 110 pods. Returns the answer (undefined when it failed).
 */
async function timed<T>(name: string, call: (arrived: () => void) => Promise<T>): Promise<T | undefined> {
  const figures = rpcs.get(name) ?? { ms: [], errors: 0 };
  rpcs.set(name, figures);
  const start = performance.now();
  let at: number | undefined;
  try {
    const answer = await call(() => { at = performance.now(); });
    figures.ms.push((at ?? performance.now()) - start);
    return answer;
  } catch (err) {
    figures.errors++;
    figures.firstError ??= err instanceof Error ? err.message : String(err);
    return undefined;
  }
}

interface Job {
  periodMs: number;
  phaseMs: number;
  run(): Promise<void>;
}

function jobs(cri: CriClient, plan: LoadPlan): Job[] {
  const list: Job[] = [
    {
      periodMs: 1000, phaseMs: 0, async run() {
        const sandboxes = await timed("ListPodSandbox", (arrived) => cri.call(RuntimeService.method.listPodSandbox, {}, { onReceived: arrived }));
        const containers = await timed("ListContainers (relist)", (arrived) => cri.call(RuntimeService.method.listContainers, {}, { onReceived: arrived }));
        if (sandboxes !== undefined) listed.sandboxes = sandboxes.items.length;
        if (containers !== undefined) listed.containers = containers.containers.length;
      },
    },
    { periodMs: 5000, phaseMs: 230, async run() { await timed("Status", (arrived) => cri.call(RuntimeService.method.status, {}, { onReceived: arrived })); } },
    {
      periodMs: 10_000, phaseMs: 470, async run() {
        await Promise.all([
          timed("ListContainerStats", (arrived) => cri.call(RuntimeService.method.listContainerStats, {}, { onReceived: arrived })),
          timed("ListPodSandboxStats", (arrived) => cri.call(RuntimeService.method.listPodSandboxStats, {}, { onReceived: arrived })),
        ]);
      },
    },
    { periodMs: 10_000, phaseMs: 3_310, async run() { await timed("ImageFsInfo", (arrived) => cri.call(ImageService.method.imageFsInfo, {}, { onReceived: arrived })); } },
    { periodMs: 30_000, phaseMs: 5_130, async run() { await timed("ListImages", (arrived) => cri.call(ImageService.method.listImages, {}, { onReceived: arrived })); } },
    { periodMs: 10_000, phaseMs: 6_670, async run() { await timed("Version", (arrived) => cri.call(RuntimeService.method.version, {}, { onReceived: arrived })); } },
    {
      periodMs: 10_000, phaseMs: 8_590, async run() {
        await Promise.all(plan.images.map((image) => timed("ImageStatus", (arrived) => cri.call(ImageService.method.imageStatus, { image: { image } }, { onReceived: arrived }))));
      },
    },
  ];
  const slotMs = 60_000 / Math.max(1, plan.pods.length);
  plan.pods.forEach((pod, i) => {
    list.push({
      periodMs: 60_000, phaseMs: 110 + i * slotMs, async run() {
        await timed("PodSandboxStatus", (arrived) => cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: pod.sandbox }, { onReceived: arrived }));
        const r = await timed("ListContainers (pod)", (arrived) => cri.call(RuntimeService.method.listContainers, { filter: { podSandboxId: pod.sandbox } }, { onReceived: arrived }));
        for (const c of r?.containers ?? []) await timed("ContainerStatus", (arrived) => cri.call(RuntimeService.method.containerStatus, { containerId: c.id }, { onReceived: arrived }));
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
  for (const job of list.slice(0, 8)) await job.run();
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
    listed,
    client: { cpuS: (cpu.user + cpu.system) / 1e6, loopDelayP99Ms: loop.percentile(99) / 1e6, loopDelayMaxMs: loop.max / 1e6, lateMaxMs },
  });
  cri.close();
  process.disconnect();
}

main().catch((err: unknown) => {
  process.stderr.write(`kubelet load failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
