/**
 * The kubelet steady-state bench (issue 15), `npm run bench kubelet [-- --pods N --seconds S --idle-seconds I --lifecycles L]`
 * (defaults 110 pods, 60 s, 30 s, 0; the plain `npm run bench` runs it after the paired cases).
 *
 * It starts its own docker-cri (the local pause image, --log-level=warn) on the system dockerd, from
 * `dist/` as `npm run build` left it (the test kit's source bundle carries inline source maps, which
 * add about 25 MB of RSS; a build older than the source refuses to start), and:
 * 1. idle: I seconds with no pods and no calls — docker-cri's CPU seconds and RSS;
 * 2. runs N pods with one running busybox `sleep` each through CRI (RunPodSandbox, CreateContainer,
 *    StartContainer; four at a time);
 * 3. load: forks bench/kubelet-load.ts, which makes the kubelet's calls on the kubelet's schedule for
 *    S seconds (the schedule is in that file's header), while this process samples /proc every second;
 *    beside them it times bench/empty-grpc-server.ts's Version, on Version's schedule: a grpc-js
 *    server that answers constant bytes, what an isolated call costs here with no work behind it;
 * 4. with L > 0, after the load and with the pods still there: L pod lifecycles one after another
 *    (RunPodSandbox, CreateContainer, StartContainer, StopPodSandbox, RemovePodSandbox), and
 *    docker-cri's RSS 10 s after the load (before them) and 10 s after the last, which should be back within 5 %
 *    of the first: the goal is that churn leaves nothing behind, so a fall below the first (the load's own
 *    garbage still in the heap when it was read) meets it, and a rise of more than 5 % does not.
 * Reported, over the load window: per RPC the calls, errors, p50, p99 and max latency; docker-cri's CPU
 * seconds (utime+stime of /proc/<pid>/stat), RSS (VmRSS) at the start, end and max, and its spread once
 * the first tenth of the window has passed (flat means within ±5 % of the mean), open fds; the
 * node's CPU seconds for docker-cri + dockerd + containerd + every containerd-shim (found by name in
 * /proc; a process's CPU includes that of the children it reaped in the window, such as runc); and the
 * load generator's own CPU and event-loop delay, to show it was not the bottleneck. Each figure stands
 * beside the issue's goal, marked met or not: the bench reports, it never fails on a goal.
 *
 * docker-cri runs with the NODE_OPTIONS of packaging/systemd/docker-cri.service (the heap setting operators
 * get); DOCKER_CRI_BENCH_NODE_FLAGS replaces them, and DOCKER_CRI_BENCH_LOAD_FLAGS adds Node flags to the
 * load generator (see flagsFrom). Everything is removed at the end, also on failure or Ctrl-C: the pods through CRI, then whatever is
 * left under the run's label directly in Docker. RSS is in MiB (the goals' "MB" read as MiB).
 */
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { negotiateApiVersion, HttpTransport } from "../src/docker/index.js";
import { RuntimeService } from "../src/gen/index.js";
import type { CriClient } from "../test/kit/cri-client.js";
import { startDaemon, type Daemon } from "../test/kit/daemon.js";
import { BUSYBOX_IMAGE, ensureTestImages, PAUSE_IMAGE } from "../test/kit/images.js";
import type { LoadPlan, LoadResult, RpcFigures } from "./kubelet-load.js";
import { pool } from "./bench.js";

export interface KubeletOptions {
  pods: number;
  seconds: number;
  idleSeconds: number;
  lifecycles: number;
}

const label = "io.docker-cri.bench.kubelet";
const clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Node flags from the environment, space-separated: DOCKER_CRI_BENCH_NODE_FLAGS for docker-cri's
 * process (`--max-semi-space-size=1` to try a heap setting, `--cpu-prof --cpu-prof-dir=/tmp/p` to
 * profile it), DOCKER_CRI_BENCH_LOAD_FLAGS for the load generator's.
 */
function flagsFrom(name: string, fallback = ""): string[] {
  return (process.env[name] ?? fallback).split(" ").filter((f) => f !== "");
}

/** How long after start-up the idle window begins. */
const settleSeconds = 20;

/** The NODE_OPTIONS the packaged systemd unit runs docker-cri with: what the bench measures unless told otherwise. */
function unitNodeOptions(): string {
  const unit = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "packaging", "systemd", "docker-cri.service"), "utf8");
  return /^Environment=NODE_OPTIONS=(.*)$/m.exec(unit)?.[1]?.trim() ?? "";
}

/** Takes --pods, --seconds, --idle-seconds and --lifecycles (as `--x N` or `--x=N`) out of argv; returns them and the rest. */
export function parseKubeletOptions(argv: readonly string[]): { options: KubeletOptions; rest: string[] } {
  const options: KubeletOptions = { pods: 110, seconds: 60, idleSeconds: 30, lifecycles: 0 };
  const keys = new Map<string, keyof KubeletOptions>([["--pods", "pods"], ["--seconds", "seconds"], ["--idle-seconds", "idleSeconds"], ["--lifecycles", "lifecycles"]]);
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const [flag = "", inline] = arg.split("=", 2);
    if (!arg.startsWith("--")) {
      rest.push(arg);
      continue;
    }
    const key = keys.get(flag);
    if (key === undefined) throw new Error(`unknown option ${arg} (the bench takes --pods, --seconds, --idle-seconds, --lifecycles)`);
    const value = Number(inline ?? argv[++i]);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} needs a whole number`);
    options[key] = value;
  }
  return { options, rest };
}

/** utime+stime (+ cutime+cstime when `children`) of a process, in seconds; undefined once it is gone. */
async function cpuSeconds(pid: number, children = false): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces: state is [0], utime [11].
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
    const own = (f[11] ?? 0) + (f[12] ?? 0);
    return (children ? own + (f[13] ?? 0) + (f[14] ?? 0) : own) / clockTicks;
  } catch {
    return undefined;
  }
}

async function rssMiB(pid: number): Promise<number> {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? Number.NaN) / 1024;
}

async function openFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** The node's container runtime processes: docker-cri, and dockerd, containerd and the shims by name. */
async function runtimeCpu(criPid: number): Promise<Map<number, { group: string; cpu: number }>> {
  const out = new Map<number, { group: string; cpu: number }>();
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const comm = await readFile(`/proc/${pid}/comm`, "utf8").then((s) => s.trim(), () => "");
    const group = pid === criPid ? "docker-cri" : comm === "dockerd" ? "dockerd" : comm.startsWith("containerd-shim") ? "containerd-shim" : comm === "containerd" ? "containerd" : undefined;
    if (group === undefined) continue;
    const cpu = await cpuSeconds(pid, true);
    if (cpu !== undefined) out.set(pid, { group, cpu });
  }
  return out;
}

/** RSS samples of a window: the max, and the min and max once its first tenth (the warm-up) has passed. */
interface RssFigures {
  readonly max: number;
  readonly settledMin: number;
  readonly settledMax: number;
}

/** Samples RSS every second until stopped. */
function rssSampler(pid: number): { stop(): Promise<RssFigures> } {
  const samples: number[] = [];
  const state = { running: true };
  const loop = (async () => {
    while (state.running) {
      samples.push(await rssMiB(pid).catch(() => 0));
      await sleep(1000);
    }
  })();
  return {
    async stop() {
      state.running = false;
      await loop;
      samples.push(await rssMiB(pid).catch(() => 0));
      const settled = samples.slice(Math.floor(samples.length / 10));
      return { max: Math.max(...samples), settledMin: Math.min(...settled), settledMax: Math.max(...settled) };
    },
  };
}

/** One pod lifecycle after another, as churn on a node does; each pod is gone before the next starts. */
async function runLifecycles(cri: CriClient, runId: string, count: number, log: (s: string) => void): Promise<void> {
  const labels = { [label]: runId };
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % 100 === 0) log(`${i} of ${count} pod lifecycles`);
    const config = { metadata: { name: `kubelet-bench-churn-${i}`, namespace: "docker-cri-bench", uid: randomUUID(), attempt: 0 }, labels };
    const { podSandboxId } = await cri.call(RuntimeService.method.runPodSandbox, { config }, { deadlineMs: 120_000 });
    try {
      const { containerId } = await cri.call(RuntimeService.method.createContainer, {
        podSandboxId,
        sandboxConfig: config,
        config: { metadata: { name: "sleep", attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: ["sleep", "86400"], labels },
      }, { deadlineMs: 120_000 });
      await cri.call(RuntimeService.method.startContainer, { containerId }, { deadlineMs: 120_000 });
      await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId }, { deadlineMs: 120_000 });
    } finally {
      await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId }, { deadlineMs: 120_000 });
    }
  }
}

async function runPods(cri: CriClient, runId: string, count: number, into: { sandbox: string; container: string }[]): Promise<void> {
  const labels = { [label]: runId };
  await pool(Array.from({ length: count }, (_, i) => i), 4, async (i) => {
    const config = { metadata: { name: `kubelet-bench-${i}`, namespace: "docker-cri-bench", uid: randomUUID(), attempt: 0 }, labels };
    const { podSandboxId } = await cri.call(RuntimeService.method.runPodSandbox, { config }, { deadlineMs: 120_000 });
    const pod = { sandbox: podSandboxId, container: "" };
    into.push(pod);
    const { containerId } = await cri.call(RuntimeService.method.createContainer, {
      podSandboxId,
      sandboxConfig: config,
      config: { metadata: { name: "sleep", attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: ["sleep", "86400"], labels },
    }, { deadlineMs: 120_000 });
    pod.container = containerId;
    await cri.call(RuntimeService.method.startContainer, { containerId }, { deadlineMs: 120_000 });
  });
}

/** The reference row: bench/empty-grpc-server.ts's Version, timed like docker-cri's. */
const referenceRpc = "Version of an empty grpc-js server (reference)";

/** Forks bench/empty-grpc-server.ts on `socketPath`; resolves once it serves. */
async function startReference(socketPath: string, children: ChildProcess[]): Promise<void> {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), "empty-grpc-server.ts"), [socketPath], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: process.execArgv });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error("the reference server did not serve within 60 s")); }, 60_000);
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`the reference server exited with ${code}`)); });
    child.once("message", () => { clearTimeout(timer); resolve(); });
  });
}

/** Runs the plan in a forked kubelet-load.ts; `onReady` runs between its warm-up and the window. */
async function runLoad(plan: LoadPlan, onReady: () => Promise<void>, children: ChildProcess[]): Promise<LoadResult> {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), "kubelet-load.ts"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: [...process.execArgv, ...flagsFrom("DOCKER_CRI_BENCH_LOAD_FLAGS")] });
  children.push(child);
  return new Promise<LoadResult>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error("the load generator did not finish in time")); }, (plan.seconds + 180) * 1000);
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`the load generator exited with ${code} before its result`)); });
    child.on("message", (m: unknown) => {
      const type: unknown = typeof m === "object" && m !== null ? Reflect.get(m, "type") : undefined;
      if (type === "ready") onReady().then(() => { child.send({ type: "go" }); }, reject);
      if (type === "result") {
        clearTimeout(timer);
        resolve(m as LoadResult); // our own child's message, shaped by kubelet-load.ts
      }
    });
    child.send(plan);
  });
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN);
}

const goals: { rpcs: string[]; text: string; met(p50: number, p99: number, max: number): boolean }[] = [
  { rpcs: ["ListPodSandbox", "ListContainers (relist)", "ListContainers (pod)", "PodSandboxStatus", "ContainerStatus", "Status"], text: "p99 ≤ 10, max ≤ 50", met: (_, p99, max) => p99 <= 10 && max <= 50 },
  { rpcs: ["ImageFsInfo", "ListImages", "ImageStatus", "Version"], text: "p50 ≤ 2", met: (p50) => p50 <= 2 },
  { rpcs: ["ListContainerStats", "ListPodSandboxStats"], text: "p50 ≤ 20", met: (p50) => p50 <= 20 },
];

function table(rows: string[][]): string {
  const widths = rows.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n");
}

const yes = (ok: boolean): string => (ok ? "met" : "NOT MET");
const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);

export async function runKubelet(opts: KubeletOptions): Promise<void> {
  const runId = randomBytes(4).toString("hex");
  const pods: { sandbox: string; container: string }[] = [];
  const children: ChildProcess[] = [];
  let daemon: Daemon | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> => (cleaning ??= (async () => {
    for (const c of children) c.kill("SIGKILL");
    const d = daemon;
    if (d !== undefined) {
      const cri = d.client();
      await pool(pods, 4, async (p) => {
        await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: p.sandbox }, { deadlineMs: 120_000 }).catch(() => undefined);
        await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: p.sandbox }, { deadlineMs: 120_000 }).catch(() => undefined);
      });
      await d.stop();
      await d.cleanup();
    }
    // Backstop: whatever is still under the run's label, removed directly.
    const docker = new HttpTransport({ endpoint: "unix:///var/run/docker.sock", requestTimeoutMs: 120_000 });
    try {
      await negotiateApiVersion(docker);
      const res = await docker.request({ operation: "list_containers", method: "GET", path: "/containers/json", query: { all: true, filters: { label: [`${label}=${runId}`] } } });
      const left: unknown[] = Array.isArray(res.body) ? res.body : [];
      await pool(left, 4, async (c) => {
        const id: unknown = typeof c === "object" && c !== null ? Reflect.get(c, "Id") : undefined;
        if (typeof id === "string") await docker.request({ operation: "remove_container", method: "DELETE", path: `/containers/${id}`, query: { force: true, v: true } }).catch(() => undefined);
      });
    } finally {
      await docker.close();
    }
  })());
  const onSigint = (): void => {
    process.stderr.write("bench: interrupted, removing the kubelet bench's pods\n");
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSigint);
  const log = (s: string): void => { process.stderr.write(`bench: kubelet: ${s}\n`); };
  try {
    await ensureTestImages();
    daemon = await startDaemon({ args: ["--log-level=warn", `--pod-infra-container-image=${PAUSE_IMAGE}`], entry: "dist", nodeFlags: flagsFrom("DOCKER_CRI_BENCH_NODE_FLAGS", unitNodeOptions()) });
    const pid = daemon.proc.pid ?? 0;
    const cri = daemon.client();
    await cri.call(RuntimeService.method.version, {});
    // Start-up keeps working for a while after the socket serves (lazy compilation, the first full
    // garbage collections, the state cache's first sync): idle is measured once that has settled.
    log(`settling ${settleSeconds} s after start`);
    await sleep(settleSeconds * 1000);

    log(`idle ${opts.idleSeconds} s, no pods`);
    const idleCpu0 = (await cpuSeconds(pid)) ?? 0;
    const idleRss = rssSampler(pid);
    await sleep(opts.idleSeconds * 1000);
    const idleCpu = ((await cpuSeconds(pid)) ?? 0) - idleCpu0;
    const idleRssMax = (await idleRss.stop()).max;

    log(`running ${opts.pods} pods`);
    const t0 = performance.now();
    await runPods(cri, runId, opts.pods, pods);
    const setupS = (performance.now() - t0) / 1000;

    log(`kubelet load for ${opts.seconds} s`);
    const start = { cpu: 0, rss: 0, fds: 0, node: new Map<number, { group: string; cpu: number }>() };
    let sampler: { stop(): Promise<RssFigures> } | undefined;
    const referenceSocket = join(dirname(daemon.socketPath), "reference.sock");
    await startReference(referenceSocket, children);
    const plan: LoadPlan = { type: "plan", socketPath: daemon.socketPath, seconds: opts.seconds, pods, images: [PAUSE_IMAGE, BUSYBOX_IMAGE], reference: { socketPath: referenceSocket, name: referenceRpc } };
    const result = await runLoad(plan, async () => {
      start.node = await runtimeCpu(pid);
      start.cpu = (await cpuSeconds(pid)) ?? 0;
      start.rss = await rssMiB(pid);
      start.fds = await openFds(pid);
      sampler = rssSampler(pid);
    }, children);
    const cpu = ((await cpuSeconds(pid)) ?? 0) - start.cpu;
    const endRss = await rssMiB(pid);
    const endFds = await openFds(pid);
    const node = await runtimeCpu(pid);
    const loadRss = (await sampler?.stop()) ?? { max: Number.NaN, settledMin: Number.NaN, settledMax: Number.NaN };
    const maxRss = loadRss.max;
    // Spread around the mean of the settled part's extremes: ±5 % is the goal.
    const spread = (100 * (loadRss.settledMax - loadRss.settledMin)) / (loadRss.settledMax + loadRss.settledMin);

    let churn: { before: number; after: number; seconds: number } | undefined;
    if (opts.lifecycles > 0) {
      // Both ends are read 10 s after the last call: right after the load, RSS still holds the load's garbage.
      await sleep(10_000);
      log(`${opts.lifecycles} pod lifecycles, one after another`);
      const before = await rssMiB(pid);
      const c0 = performance.now();
      await runLifecycles(cri, runId, opts.lifecycles, log);
      const seconds = (performance.now() - c0) / 1000;
      await sleep(10_000);
      churn = { before, after: await rssMiB(pid), seconds };
    }

    // Node CPU per group: a process seen at both ends counts its delta, one started in the window all of it.
    const byGroup = new Map<string, { cpu: number; n: number }>();
    for (const [p, end] of node) {
      const g = byGroup.get(end.group) ?? { cpu: 0, n: 0 };
      g.cpu += end.cpu - (start.node.get(p)?.cpu ?? 0);
      g.n++;
      byGroup.set(end.group, g);
    }
    const nodeCpu = [...byGroup.values()].reduce((s, g) => s + g.cpu, 0);
    const perCore = (s: number): string => `${f2(s)} s (${f1((100 * s) / opts.seconds)} % of a core)`;

    const rows: string[][] = [["RPC", "calls", "errors", "p50 ms", "p99 ms", "max ms", "goal", "met"]];
    // In the goals' order, then anything else.
    const order = goals.flatMap((g) => g.rpcs);
    const rank = (n: string): number => (order.includes(n) ? order.indexOf(n) : order.length);
    for (const [name, r] of Object.entries(result.rpcs).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))) {
      const ms = [...r.ms].sort((a, b) => a - b);
      const [p50, p99, max] = [quantile(ms, 0.5), quantile(ms, 0.99), ms[ms.length - 1] ?? Number.NaN];
      const goal = goals.find((g) => g.rpcs.includes(name));
      const met = goal === undefined ? "" : ms.length === 0 ? "no answer" : yes(r.errors === 0 && goal.met(p50, p99, max));
      rows.push([name, String(ms.length + r.errors), String(r.errors), f2(p50), f2(p99), f2(max), name === referenceRpc ? "(an isolated call with no work behind it)" : (goal?.text ?? ""), met]);
    }
    const res: string[][] = [["resource", "value", "goal", "met"]];
    const with110 = opts.pods === 110 ? "" : " (goal is for 110 pods)";
    res.push([`idle CPU (${opts.idleSeconds} s, no pods, from ${settleSeconds} s after start)`, `${f2(idleCpu)} s (${f1((100 * idleCpu) / Math.max(1, opts.idleSeconds))} % of a core)`, "", ""]);
    res.push(["idle RSS max", `${f1(idleRssMax)} MiB`, "≤ 60 MiB", yes(idleRssMax <= 60)]);
    res.push([`load CPU (${opts.seconds} s, ${opts.pods} pods)`, perCore(cpu), "", ""]);
    res.push(["load RSS start / end / max", `${f1(start.rss)} / ${f1(endRss)} / ${f1(maxRss)} MiB`, `≤ 80 MiB${with110}`, yes(maxRss <= 80)]);
    res.push(["load RSS after the first tenth: min / max", `${f1(loadRss.settledMin)} / ${f1(loadRss.settledMax)} MiB (±${f1(spread)} %)`, "flat: ±5 % (over 30 min: --seconds 1800)", yes(spread <= 5)]);
    if (churn !== undefined) {
      const change = (100 * (churn.after - churn.before)) / churn.before;
      res.push([`RSS before / 10 s after ${opts.lifecycles} pod lifecycles (${f1(churn.seconds)} s)`, `${f1(churn.before)} / ${f1(churn.after)} MiB (${change >= 0 ? "+" : ""}${f1(change)} %)`, "back within 5 %: none kept (goal is for 1000)", yes(change <= 5)]);
    }
    res.push(["open fds start / end", `${start.fds} / ${endFds}`, "", ""]);
    res.push(["node CPU over the load window", perCore(nodeCpu), "", ""]);
    for (const [g, v] of [...byGroup].sort(([a], [b]) => a.localeCompare(b))) res.push([`  ${g} (${v.n} process${v.n === 1 ? "" : "es"})`, perCore(v.cpu), "", ""]);
    const c = result.client;
    res.push(["load generator (not docker-cri)", `CPU ${perCore(c.cpuS)}; event-loop delay p99 ${f1(c.loopDelayP99Ms)} ms, max ${f1(c.loopDelayMaxMs)} ms; latest fire ${f1(c.lateMaxMs)} ms`, "", ""]);

    const errors = Object.entries(result.rpcs).filter(([, r]: [string, RpcFigures]) => r.firstError !== undefined).map(([n, r]) => `  ${n}: ${r.firstError ?? ""}`);
    process.stdout.write([
      "",
      `kubelet steady state: ${opts.pods} pods with one container each (run in ${f1(setupS)} s), ${opts.seconds} s of the kubelet's calls; the last relist saw ${result.listed.sandboxes} sandboxes and ${result.listed.containers} containers`,
      "(latencies in ms as the load generator saw them, from sending a call to the arrival of its answer, which it does not decode; a p99 of fewer than 100 calls is their max; \"met\" also needs no errors)",
      table(rows),
      "",
      table(res),
      ...(errors.length > 0 ? ["first error of each failing RPC:", ...errors] : []),
      "",
    ].join("\n"));
  } finally {
    process.off("SIGINT", onSigint);
    log("removing the pods");
    await cleanup();
  }
}
