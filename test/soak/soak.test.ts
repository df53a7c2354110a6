/**
 * Load-and-fault soak: a node's worth of pods under a kubelet's steady load, with churn, CPU hogs, a
 * `kill -9` of docker-cri and a restart of its dockerd, and afterwards no wrong answer and nothing left.
 *
 * - A private dockerd (test/kit/private-dockerd.ts, the system's binaries), so the shared one is never
 *   restarted; real CNI (Debian's bridge + host-local on a bridge and subnet of this run).
 * - `pods` steady pods with one `sleep` container each, and a few whose container exits every few
 *   seconds and is restarted as the kubelet does (removed, created again with the next attempt).
 * - The kubelet's schedule (issue 15): ListPodSandbox + ListContainers every second, Status every 5 s,
 *   ListContainerStats, ListPodSandboxStats and ImageFsInfo every 10 s, ListImages every 30 s, and per
 *   pod PodSandboxStatus + ListContainers(pod) + ContainerStatus once a minute (spread over the minute).
 * - Churn: a pod run, its container created, started, exec'd, and the pod stopped and removed, every
 *   few seconds; each step's answer is checked right after (read-your-writes): a started container
 *   reads RUNNING, a stopped pod has nothing running, a removed pod is NotFound.
 * - Two CPU hogs beside it the whole time. At a third of the run docker-cri is killed with SIGKILL and
 *   started again on the same root directory; at two thirds dockerd is restarted (it stops every
 *   container; the soak's kubelet then replaces the pods whose sandbox is not ready).
 *
 * Afterwards: every pod's and container's CRI state agrees with Docker's inspect, ListContainers agrees
 * with Docker's list; every removed pod is gone from Docker, checkpoints, CNI allocations and cache,
 * log links and copy states, veths and network namespaces; docker-cri's RSS and open file descriptors
 * are flat between a sample after the faults and the end; the event stream was resubscribed after the
 * dockerd restart. The counts are printed.
 *
 * Size: DOCKER_CRI_SOAK=full is the (110 pods, 30 minutes); the default (what `.ci/run` runs)
 * is 24 pods for 3 minutes.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomInt } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { ContainerState, ImageService, PodSandboxState, RuntimeService } from "../../src/gen/index.js";
import { isGrpcError, type CriClient } from "../kit/cri-client.js";
import { startDaemon, type Daemon } from "../kit/daemon.js";
import { dockerJson, isRecord } from "../kit/docker-api.js";
import { BUSYBOX_IMAGE, ensureTestImages, PAUSE_IMAGE } from "../kit/images.js";
import { createPrivateDockerd, type PrivateDockerd } from "../kit/private-dockerd.js";
import { allocatedIps, bridgeNetworkNode, cniBinDir, deleteLink, haveCniPlugins, randomId, run as runCmd, skipWithoutPlugins } from "../kit/host-network.js";
import { newRun, type PodInit, type SandboxRun } from "../kit/sandbox-run.js";

const full = process.env.DOCKER_CRI_SOAK === "full";
const steadyPods = full ? 110 : 24;
const crashingPods = full ? 6 : 3;
const durationMs = full ? 30 * 60_000 : 3 * 60_000;
const churnEveryMs = 3_000;
const deadlineMs = 60_000;
const available = await haveCniPlugins();

interface Pod {
  readonly name: string;
  config: PodInit;
  sandbox: string;
  container: string;
  attempt: number;
  readonly crashing: boolean;
  /**
   * The app container's RemoveContainer failed in a fault: Docker may have removed it all the same
   * (docker-cri killed, or dockerd stopped, after the delete went out), so NotFound for it is its end.
   */
  removeFailedInFault: boolean;
  /**
   * The pod's worker: its status sync and its restarts run one after another, as in the kubelet's
   * per-pod worker, so a status call never races the same pod's container removal.
   */
  worker: Promise<void>;
}

/** Runs `fn` on the pod's worker, after what it is doing now. */
function onWorker(p: Pod, fn: () => Promise<void>): Promise<void> {
  const next = p.worker.then(fn);
  p.worker = next.catch(() => undefined);
  return next;
}

/** A CPU hog: a busy loop in its own process until killed. */
function hog(): ChildProcess {
  return spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
}

async function rssKiB(pid: number): Promise<number> {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0);
}

async function openFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** What the process's descriptors are, by kind ("socket 12, pipe 4, anon_inode:[eventfd] 3, /var/log/x.log 1"). */
async function fdKinds(pid: number): Promise<string> {
  const kinds = new Map<string, number>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "gone");
    const kind = /^(socket|pipe):/.exec(target)?.[1] ?? target;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return [...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(", ");
}

/**
 * docker-cri's descriptors once it is idle again: pooled Docker connections close after 30 s idle
 * and held cgroup counter files 25-35 s after their last read, so this waits up to 45 s for the count
 * to come down to `limit`, and returns the last count.
 */
async function settledFds(pid: number, limit: number): Promise<number> {
  const deadline = performance.now() + 45_000;
  let n = await openFds(pid);
  while (n > limit && performance.now() < deadline) {
    await sleep(1_000);
    n = await openFds(pid);
  }
  return n;
}

async function symlinksUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isSymbolicLink()).map((e) => join(e.parentPath, e.name));
}

describe(`soak: ${steadyPods} pods under a kubelet's load for ${durationMs / 60_000} min, with churn, CPU hogs, kill -9 and a dockerd restart`, { skip: available ? false : skipWithoutPlugins, timeout: durationMs + 15 * 60_000 }, () => {
  const id = randomId();
  const bridge = `dcrs${id}`;
  const network = `dcri-soak-${id}`;
  const subnet = `10.95.${randomInt(0, 64) * 4}.0/22`;
  let dir: string;
  let rootDir: string;
  let confDir: string;
  let cacheDir: string;
  let ipamDir: string;
  let logDirectory: string;
  let dockerd: PrivateDockerd;
  let run: SandboxRun;
  let daemon: Daemon | undefined;
  let cri: CriClient;
  const hogs: ChildProcess[] = [];

  const start = async (): Promise<void> => {
    daemon = await startDaemon({
      args: [
        `--docker-endpoint=${dockerd.endpoint}`,
        `--pod-infra-container-image=${PAUSE_IMAGE}`,
        "--network-plugin=cni",
        `--cni-conf-dir=${confDir}`,
        `--cni-bin-dir=${cniBinDir}`,
        `--cni-cache-dir=${cacheDir}`,
        `--cri-dockerd-root-directory=${rootDir}`,
      ],
    });
    cri = daemon.client();
  };

  /** The private dockerd's containers of this run (all states). */
  const dockerContainers = async (): Promise<Record<string, unknown>[]> => {
    const body = await dockerJson({ method: "GET", path: "/containers/json", socketPath: dockerd.socketPath, query: { all: "1", filters: JSON.stringify({ label: [`io.docker-cri.test.sandbox-run=${run.runId}`] }) } });
    return Array.isArray(body) ? body.filter(isRecord) : [];
  };
  const dockerInspect = async (cid: string): Promise<Record<string, unknown> | undefined> => {
    const body = await dockerJson({ method: "GET", path: `/containers/${cid}/json`, socketPath: dockerd.socketPath }).catch(() => undefined);
    return isRecord(body) ? body : undefined;
  };

  before(async () => {
    await ensureTestImages();
    dir = await mkdtemp(join(tmpdir(), "docker-cri-soak-"));
    ({ rootDir, confDir, cacheDir, ipamDir, logDirectory } = await bridgeNetworkNode(dir, { network, bridge, subnet }));
    dockerd = await createPrivateDockerd();
    await dockerd.start();
    await dockerd.loadImages([PAUSE_IMAGE, BUSYBOX_IMAGE]);
    run = newRun();
    await start();
  });

  after(async () => {
    for (const h of hogs) h.kill("SIGKILL");
    if (daemon !== undefined) {
      await daemon.stop();
      await daemon.cleanup();
    }
    await dockerd.dispose();
    await deleteLink(bridge);
    await rm(dir, { recursive: true, force: true });
  });

  it("gives no wrong answer and leaves nothing behind", async () => {
    const counts = { calls: 0, failedInFaults: 0, churned: 0, restarts: 0, replacedAfterDockerdRestart: 0 };
    const calls = new Map<string, number>();
    const wrong: string[] = [];
    const unexpected: string[] = [];
    /** True while a fault is being injected or recovered from: calls may fail then, and are retried. */
    let faulting = false;
    let stopping = false;
    /** Read through calls: the loops set these while others await, which a narrowed variable would hide. */
    const done = (): boolean => stopping;
    const inFault = (): boolean => faulting;
    const current = (): Daemon | undefined => daemon;

    const call = async <T>(name: string, fn: (c: CriClient) => Promise<T>): Promise<T | undefined> => {
      counts.calls++;
      calls.set(name, (calls.get(name) ?? 0) + 1);
      const client = cri;
      const wasFaulting = inFault();
      try {
        return await fn(client);
      } catch (err) {
        if (wasFaulting || inFault() || daemon === undefined || client !== cri) {
          counts.failedInFaults++;
          return undefined;
        }
        unexpected.push(`${name}: ${String(err)}`);
        return undefined;
      }
    };

    const podConfig = (name: string): PodInit => ({ ...run.pod(name), logDirectory: join(logDirectory, name) });
    const app = (name: string, attempt: number, crashing: boolean) => ({
      metadata: { name, attempt },
      image: { image: BUSYBOX_IMAGE },
      command: crashing ? ["sh", "-c", "sleep 4; exit 3"] : ["sleep", "100000"],
      labels: run.selector,
      logPath: `${name}_${attempt}.log`,
    });
    const startPod = async (p: Pod): Promise<void> => {
      // Until the new ones exist the pod has none: the old ids name removed objects (the kubelet asks nothing of them).
      p.sandbox = "";
      p.container = "";
      p.config = podConfig(`${p.name}-${p.attempt}`);
      p.sandbox = (await cri.call(RuntimeService.method.runPodSandbox, { config: p.config }, { deadlineMs })).podSandboxId;
      p.container = (await cri.call(RuntimeService.method.createContainer, { podSandboxId: p.sandbox, sandboxConfig: p.config, config: app("app", p.attempt, p.crashing) }, { deadlineMs })).containerId;
      await cri.call(RuntimeService.method.startContainer, { containerId: p.container }, { deadlineMs });
    };

    // docker-cri's descriptors before any pod (with the few pooled connections its start-up left
    // open): after the run, once everything is removed and pooled connections have closed, it must
    // be back to this (the restarted process has the same flags, listeners and event streams).
    await cri.call(RuntimeService.method.version, {});
    const idlePid = current()?.proc.pid ?? 0;
    const idleFds = await openFds(idlePid);
    const idleKinds = await fdKinds(idlePid);

    // The steady pods, four at a time.
    const pods: Pod[] = Array.from({ length: steadyPods + crashingPods }, (_, i) => ({ name: `p${i}`, config: {}, sandbox: "", container: "", attempt: 0, crashing: i >= steadyPods, removeFailedInFault: false, worker: Promise.resolve() }));
    let nextPod = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let i = nextPod++; i < pods.length; i = nextPod++) {
        const p = pods[i];
        if (p !== undefined) await startPod(p);
      }
    }));
    hogs.push(hog(), hog());

    const every = async (ms: number, what: () => Promise<void>): Promise<void> => {
      while (!done()) {
        const t0 = performance.now();
        await what();
        await sleep(Math.max(0, ms - (performance.now() - t0)));
      }
    };

    const kubelet = [
      every(1_000, async () => {
        await call("ListPodSandbox", (c) => c.call(RuntimeService.method.listPodSandbox, {}));
        await call("ListContainers", (c) => c.call(RuntimeService.method.listContainers, {}));
      }),
      every(5_000, async () => {
        const s = await call("Status", (c) => c.call(RuntimeService.method.status, {}));
        if (s !== undefined && !inFault() && s.status?.conditions.find((x) => x.type === "RuntimeReady")?.status !== true) wrong.push("Status: RuntimeReady false outside a fault");
      }),
      every(10_000, async () => {
        await call("ListContainerStats", (c) => c.call(RuntimeService.method.listContainerStats, {}));
        await call("ListPodSandboxStats", (c) => c.call(RuntimeService.method.listPodSandboxStats, {}));
        await call("ImageFsInfo", (c) => c.call(ImageService.method.imageFsInfo, {}));
      }),
      every(30_000, async () => {
        await call("ListImages", (c) => c.call(ImageService.method.listImages, {}));
      }),
      // Each pod once a minute, spread over the minute.
      every(60_000 / pods.length, (() => {
        let i = 0;
        return async () => {
          const p = pods[i++ % pods.length];
          if (p === undefined) return;
          await onWorker(p, async () => {
            if (p.sandbox === "") return;
            await call("PodSandboxStatus", (c) => c.call(RuntimeService.method.podSandboxStatus, { podSandboxId: p.sandbox }));
            await call("ListContainers(pod)", (c) => c.call(RuntimeService.method.listContainers, { filter: { podSandboxId: p.sandbox } }));
            // A container whose removal failed in a fault is the pod worker's to settle first (reconcilePod).
            if (p.container !== "" && !p.removeFailedInFault) await call("ContainerStatus", (c) => c.call(RuntimeService.method.containerStatus, { containerId: p.container }));
          });
        };
      })()),
    ];

    // Churn, with read-your-writes checks after each step.
    let churnN = 0;
    const churn = every(churnEveryMs, async () => {
      if (inFault()) return;
      const n = churnN++;
      const config = podConfig(`churn${n}`);
      const sandbox = (await call("RunPodSandbox", (c) => c.call(RuntimeService.method.runPodSandbox, { config }, { deadlineMs })))?.podSandboxId;
      if (sandbox === undefined) return;
      const container = (await call("CreateContainer", (c) => c.call(RuntimeService.method.createContainer, { podSandboxId: sandbox, sandboxConfig: config, config: app("churn", 0, false) }, { deadlineMs })))?.containerId;
      if (container !== undefined && (await call("StartContainer", (c) => c.call(RuntimeService.method.startContainer, { containerId: container }, { deadlineMs }))) !== undefined) {
        const st = await call("ContainerStatus", (c) => c.call(RuntimeService.method.containerStatus, { containerId: container }));
        if (st !== undefined && st.status?.state !== ContainerState.CONTAINER_RUNNING) wrong.push(`churn ${n}: ContainerStatus right after StartContainer is ${String(st.status?.state)}`);
        const ex = await call("ExecSync", (c) => c.call(RuntimeService.method.execSync, { containerId: container, cmd: ["echo", "ok"], timeout: 10n }, { deadlineMs }));
        if (ex !== undefined && Buffer.from(ex.stdout).toString() !== "ok\n") wrong.push(`churn ${n}: ExecSync answered ${JSON.stringify(Buffer.from(ex.stdout).toString())}`);
      }
      if ((await call("StopPodSandbox", (c) => c.call(RuntimeService.method.stopPodSandbox, { podSandboxId: sandbox }, { deadlineMs }))) !== undefined) {
        const listed = await call("ListContainers(pod)", (c) => c.call(RuntimeService.method.listContainers, { filter: { podSandboxId: sandbox } }));
        if (listed?.containers.some((x) => x.state === ContainerState.CONTAINER_RUNNING) === true) wrong.push(`churn ${n}: a container still RUNNING after StopPodSandbox`);
        if (container !== undefined) {
          const running = field(await dockerInspect(container), "State", "Running");
          if (running === true) wrong.push(`churn ${n}: Docker runs the container after StopPodSandbox`);
        }
      }
      if ((await call("RemovePodSandbox", (c) => c.call(RuntimeService.method.removePodSandbox, { podSandboxId: sandbox }, { deadlineMs }))) !== undefined) {
        await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: sandbox }).then(
          () => { wrong.push(`churn ${n}: PodSandboxStatus answers after RemovePodSandbox`); },
          (err: unknown) => { if (!isGrpcError(err, grpcStatus.NOT_FOUND) && !inFault()) unexpected.push(`churn ${n}: PodSandboxStatus after remove: ${String(err)}`); },
        );
        counts.churned++;
      }
    });

    // The kubelet's side of crashing containers and of sandboxes that are not ready (after dockerd's restart).
    const reconcile = every(2_000, async () => {
      if (inFault()) return;
      // Four pods at a time, as the kubelet's pod workers run in parallel.
      let nextReconciled = 0;
      await Promise.all(Array.from({ length: 4 }, async () => {
        for (let i = nextReconciled++; i < pods.length; i = nextReconciled++) {
          const p = pods[i];
          if (p === undefined || done() || inFault()) return;
          await onWorker(p, () => reconcilePod(p));
        }
      }));
    });
    async function reconcilePod(p: Pod): Promise<void> {
      {
        if (p.sandbox === "") {
          // Its last start failed in a fault before the sandbox existed: start it again.
          p.attempt++;
          await startPod(p).catch((err: unknown) => { if (!inFault()) unexpected.push(`restarting ${p.name}: ${String(err)}`); });
          return;
        }
        const sandbox = await call("PodSandboxStatus", (c) => c.call(RuntimeService.method.podSandboxStatus, { podSandboxId: p.sandbox }));
        if (sandbox === undefined) return;
        if (sandbox.status?.state !== PodSandboxState.SANDBOX_READY) {
          await call("StopPodSandbox", (c) => c.call(RuntimeService.method.stopPodSandbox, { podSandboxId: p.sandbox }, { deadlineMs }));
          await call("RemovePodSandbox", (c) => c.call(RuntimeService.method.removePodSandbox, { podSandboxId: p.sandbox }, { deadlineMs }));
          p.attempt++;
          await startPod(p).catch((err: unknown) => { if (!inFault()) unexpected.push(`replacing ${p.name}: ${String(err)}`); });
          counts.replacedAfterDockerdRestart++;
          return;
        }
        if (p.container === "") {
          // Its last create failed in a fault (and may have created one Docker kept): a new attempt.
          p.attempt++;
          await createApp(p);
          return;
        }
        if (!p.crashing) return;
        if (p.removeFailedInFault) {
          // Removed by Docker after all, or still there: ask, and take NotFound as removed.
          const gone = await cri.call(RuntimeService.method.containerStatus, { containerId: p.container }).then(() => false, (err: unknown) => isGrpcError(err, grpcStatus.NOT_FOUND));
          p.removeFailedInFault = false;
          if (gone) {
            p.container = "";
            p.attempt++;
            await createApp(p);
            return;
          }
        }
        const st = await call("ContainerStatus", (c) => c.call(RuntimeService.method.containerStatus, { containerId: p.container }));
        if (st?.status?.state !== ContainerState.CONTAINER_EXITED) return;
        if (st.status.exitCode !== 3) wrong.push(`${p.name}: exit code ${st.status.exitCode}, not 3`);
        if ((await call("RemoveContainer", (c) => c.call(RuntimeService.method.removeContainer, { containerId: p.container }, { deadlineMs }))) === undefined) {
          p.removeFailedInFault = true;
          return;
        }
        p.container = "";
        p.attempt++;
        await createApp(p);
      }
    }
    /** A new attempt of the pod's app container; on a failure (in a fault) the pod stays without one and the next round retries. */
    async function createApp(p: Pod): Promise<void> {
      const created = await call("CreateContainer", (c) => c.call(RuntimeService.method.createContainer, { podSandboxId: p.sandbox, sandboxConfig: p.config, config: app("app", p.attempt, p.crashing) }, { deadlineMs }));
      if (created === undefined) return;
      p.container = created.containerId;
      if ((await call("StartContainer", (c) => c.call(RuntimeService.method.startContainer, { containerId: p.container }, { deadlineMs }))) !== undefined) counts.restarts++;
    }

    // The faults, and the samples of docker-cri's footprint after them.
    let sample: { rss: number; fds: number } | undefined;
    const faults = (async () => {
      await sleep(durationMs / 3);
      faulting = true;
      const d = daemon;
      daemon = undefined;
      await d?.stop("SIGKILL");
      await d?.cleanup();
      await start();
      await sleep(2_000);
      faulting = false;
      await sleep(durationMs / 3 - 2_000);
      faulting = true;
      await dockerd.stop();
      await dockerd.start();
      await sleep(3_000);
      faulting = false;
      // After the replacements settle: the footprint from here to the end must stay flat.
      await sleep(Math.min(30_000, durationMs / 10));
      const pid = current()?.proc.pid ?? 0;
      sample = { rss: await rssKiB(pid), fds: await openFds(pid) };
    })();

    // The loops run until `stopping`: whatever fails below (a fault that cannot be injected), they stop,
    // or they would keep the test process alive long after its timeout.
    const loops = [...kubelet, churn, reconcile];
    let end: { rss: number; fds: number };
    try {
      await Promise.all([sleep(durationMs), faults]);
      const pid = current()?.proc.pid ?? 0;
      end = { rss: await rssKiB(pid), fds: await openFds(pid) };
    } finally {
      stopping = true;
      for (const h of hogs.splice(0)) h.kill("SIGKILL");
      await Promise.allSettled(loops);
    }
    await Promise.all(loops);

    // Every pod's and container's state as CRI reports it, against Docker's inspect.
    const sandboxes = (await cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: run.selector } }, { deadlineMs })).items;
    for (const s of sandboxes) {
      const st = await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: s.id });
      const running = field(await dockerInspect(s.id), "State", "Running") === true;
      if ((st.status?.state === PodSandboxState.SANDBOX_READY) !== running) wrong.push(`sandbox ${s.id}: CRI ${String(st.status?.state)}, Docker running=${String(running)}`);
    }
    const listed = (await cri.call(RuntimeService.method.listContainers, { filter: { labelSelector: run.selector } }, { deadlineMs })).containers;
    const inDocker = (await dockerContainers()).filter((c) => isRecord(c.Labels) && c.Labels["io.kubernetes.docker.type"] === "container");
    assert.deepEqual(listed.map((c) => c.id).sort(), inDocker.map((c) => String(c.Id)).sort(), "ListContainers lists what Docker has");
    for (const c of listed) {
      const st = await cri.call(RuntimeService.method.containerStatus, { containerId: c.id });
      const state = field(await dockerInspect(c.id), "State", "Status");
      const expected = state === "running" ? ContainerState.CONTAINER_RUNNING : state === "created" ? ContainerState.CONTAINER_CREATED : ContainerState.CONTAINER_EXITED;
      if (st.status?.state !== expected && !(pods.some((p) => p.crashing && p.container === c.id))) wrong.push(`container ${c.id}: CRI ${String(st.status?.state)}, Docker ${String(state)}`);
    }

    // The event stream came back after dockerd's restart (the restarted docker-cri's log).
    const syncs = (current()?.stderr() ?? "").split("\n").filter((l) => l.includes("Container state cache synced with Docker")).length;

    // Remove everything, as the kubelet would, then look for leftovers.
    for (const s of sandboxes) {
      await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: s.id }, { deadlineMs });
      await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: s.id }, { deadlineMs });
    }
    for (const c of (await cri.call(RuntimeService.method.listContainers, { filter: { labelSelector: run.selector } }, { deadlineMs })).containers) {
      await cri.call(RuntimeService.method.removeContainer, { containerId: c.id }, { deadlineMs });
    }
    const endPid = current()?.proc.pid ?? 0;
    const fdsIdleAgain = await settledFds(endPid, idleFds + 4);
    const endKinds = await fdKinds(endPid);
    const netnsDir = join(dockerd.dir, "exec", "netns");
    const mountedNetns = (await readFile("/proc/self/mountinfo", "utf8")).split("\n").filter((l) => l.split(" ")[4]?.startsWith(netnsDir) === true && l.includes(" - nsfs "));
    const leftovers = {
      dockerContainers: (await dockerContainers()).map((c) => String(c.Id)),
      checkpoints: await readdir(join(rootDir, "sandbox")).catch(() => []),
      cniAddresses: await allocatedIps(ipamDir, network),
      cniCacheEntries: await readdir(join(cacheDir, "results")).catch(() => []),
      logCopyStates: await readdir(join(rootDir, "container-logs")).catch(() => []),
      logSymlinks: await symlinksUnder(logDirectory),
      vethsOnBridge: (await runCmd("ip", ["-o", "link", "show", "master", bridge])).stdout.split("\n").filter((l) => l.trim() !== ""),
      networkNamespaces: mountedNetns,
    };
    const summary = {
      size: full ? "full" : "ci",
      pods: pods.length,
      minutes: durationMs / 60_000,
      ...counts,
      wrongAnswers: wrong.length,
      unexpectedFailures: unexpected.length,
      cacheSyncsAfterRestart: syncs,
      rssKiB: { afterFaults: sample?.rss, end: end.rss },
      fds: { idleBefore: idleFds, afterFaults: sample?.fds, end: end.fds, idleAfter: fdsIdleAgain },
      calls: Object.fromEntries(calls),
      leftovers: Object.fromEntries(Object.entries(leftovers).map(([k, v]) => [k, v.length])),
    };
    console.log(`soak: ${JSON.stringify(summary)}`);

    assert.deepEqual(wrong, [], "wrong answers");
    assert.deepEqual(unexpected, [], "calls that failed outside a fault");
    // A cycle takes seconds on a loaded machine and none run during the faults: a floor, not a rate.
    assert.ok(counts.churned >= (full ? 100 : 4), `only ${counts.churned} churn cycles completed`);
    assert.ok(counts.replacedAfterDockerdRestart >= 1, "no pod was replaced after dockerd's restart stopped them all");
    assert.ok(counts.restarts >= crashingPods, `only ${counts.restarts} container restarts`);
    assert.ok(syncs >= 2, `the restarted docker-cri synced its cache ${syncs} time(s): the event stream was not resubscribed after dockerd's restart`);
    assert.ok(sample !== undefined);
    assert.ok(end.rss <= sample.rss * 1.15 + 8 * 1024, `RSS grew from ${sample.rss} KiB to ${end.rss} KiB`);
    // Under load the count follows the pooled Docker connections and the running containers' log
    // streams; a leak shows once idle again, whatever the load was.
    assert.ok(fdsIdleAgain <= idleFds + 4, `idle, docker-cri had ${idleFds} open file descriptors before the run (${idleKinds}) and ${fdsIdleAgain} after it (${endKinds})`);
    assert.deepEqual(leftovers, { dockerContainers: [], checkpoints: [], cniAddresses: [], cniCacheEntries: [], logCopyStates: [], logSymlinks: [], vethsOnBridge: [], networkNamespaces: [] });
  });
});

/** A nested field of an inspect answer. */
function field(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) cur = isRecord(cur) ? cur[key] : undefined;
  return cur;
}
