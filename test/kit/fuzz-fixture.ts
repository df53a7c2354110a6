/**
 * What the fuzz, bad-input and streaming-abuse tests run against: a docker-cri whose pause image is a
 * build of the test pause image of this run's own, a running pod sandbox with a running busybox
 * container (also of this run's own busybox build), and a victim sandbox and container for the
 * Stop/Remove RPCs. The run's images let a test find every container it caused, even one whose labels
 * a mutation replaced, with Docker's `ancestor` filter — by image id: `ancestor` resolves a tag to its
 * image id, so a mere retag of the shared images would match every other test's containers too. Each
 * import gets its own id (its config carries the reference and its creation time).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { create, type DescMethod, type Message } from "@bufbuild/protobuf";
import { ImageService, NamespaceMode, RuntimeService } from "../../src/gen/index.js";
import type { CriClient } from "./cri-client.js";
import { startDaemon, type Daemon } from "./daemon.js";
import { dockerJson, dockerRequest, isRecord } from "./docker-api.js";
import { ensureTestImages } from "./images.js";

export const fuzzRunLabel = "io.docker-cri.test.fuzz-run";

export interface PodConfigInit {
  readonly metadata: { readonly name: string; readonly namespace: string; readonly uid: string; readonly attempt: number };
  readonly labels: Readonly<Record<string, string>>;
  readonly logDirectory: string;
}

export interface FuzzFixture {
  readonly runId: string;
  readonly daemon: Daemon;
  readonly cri: CriClient;
  readonly pauseTag: string;
  readonly busyboxTag: string;
  readonly sandboxId: string;
  readonly containerId: string;
  readonly victimSandboxId: string;
  readonly victimContainerId: string;
  /** Pod config of `sandboxId`, as a plain init object (spread it to vary a field). */
  readonly podConfig: PodConfigInit;
  /** A plausible request per method, each call a fresh message (RunPodSandbox and CreateContainer get a new attempt number). */
  readonly baselines: Map<DescMethod, () => Message>;
  /** Ids Docker gave to everything the fixture itself and successful calls created. */
  readonly known: Set<string>;
  /** Every Docker container (any state) created from the private tags or carrying the run label. */
  containersOfRun(): Promise<string[]>;
  /** Removes every container of the run (through CRI, then straight through Docker), the tags and the daemon. */
  dispose(): Promise<void>;
}

/** `inspect`: run the daemon with node's inspector on loopback (test-only), for heap measurements (kit/heap-probe.ts). */
export async function startFuzzFixture(opts: { args?: string[]; env?: Record<string, string>; inspect?: boolean } = {}): Promise<FuzzFixture> {
  const runId = randomBytes(4).toString("hex");
  const pauseTag = `docker-cri-test/pause:fuzz-${runId}`;
  const busyboxTag = `docker-cri-test/busybox:fuzz-${runId}`;
  const images = await ensureTestImages({ refs: { busybox: busyboxTag, pause: pauseTag } });
  const shared = await ensureTestImages();
  if (images.busybox.id === shared.busybox.id || images.pause.id === shared.pause.id) {
    throw new Error("the run's own test images share an id with the shared ones; the ancestor filter would reach other tests' containers");
  }
  const daemon = await startDaemon({
    args: [`--pod-infra-container-image=${pauseTag}`, ...(opts.args ?? [])],
    env: opts.env ?? {},
    ...(opts.inspect === true ? { wrap: (node: string, args: string[]) => ({ command: node, args: ["--inspect=127.0.0.1:0", ...args] }) } : {}),
  });
  const cri = daemon.client();
  const logDirectory = join(daemon.rootDir, "pod-logs");
  await mkdir(logDirectory, { recursive: true });
  const known = new Set<string>();
  const labels = { [fuzzRunLabel]: runId };
  let attempt = 1;
  const podInit = (name: string) => ({ metadata: { name: `${name}-${runId}`, namespace: "docker-cri-fuzz", uid: randomUUID(), attempt: 0 }, labels, logDirectory });
  const pod = podInit("fuzz");
  const victimPod = podInit("victim");
  // RunPodSandbox cases use a pod of their own: a mutated attempt number must never name (and, being
  // a retry of it, get and then remove) the fixture's sandbox.
  const casePod = podInit("case");

  const sandboxId = (await cri.call(RuntimeService.method.runPodSandbox, { config: pod }, { deadlineMs: 60_000 })).podSandboxId;
  const victimSandboxId = (await cri.call(RuntimeService.method.runPodSandbox, { config: victimPod }, { deadlineMs: 60_000 })).podSandboxId;
  const containerConfig = (name: string, n: number) => ({ metadata: { name, attempt: n }, image: { image: busyboxTag }, command: ["sleep", "3600"], labels, logPath: `${name}-${n}.log` });
  const containerId = (await cri.call(RuntimeService.method.createContainer, { podSandboxId: sandboxId, config: containerConfig("main", 0), sandboxConfig: pod })).containerId;
  await cri.call(RuntimeService.method.startContainer, { containerId });
  const victimContainerId = (await cri.call(RuntimeService.method.createContainer, { podSandboxId: victimSandboxId, config: containerConfig("victim", 0), sandboxConfig: victimPod })).containerId;
  await cri.call(RuntimeService.method.startContainer, { containerId: victimContainerId });
  for (const id of [sandboxId, victimSandboxId, containerId, victimContainerId]) known.add(id);

  const podConfig: PodConfigInit = pod;
  const r = RuntimeService.method;
  const i = ImageService.method;
  const init = new Map<DescMethod, () => object>([
    [r.version, () => ({ version: "v1" })],
    // Host network: the cases that get through create a real sandbox, and Docker makes one without a
    // network endpoint about twice as fast (the fuzz run's time is mostly these).
    [r.runPodSandbox, () => ({ config: { ...casePod, metadata: { ...casePod.metadata, attempt: attempt++ }, linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } } } })],
    [r.stopPodSandbox, () => ({ podSandboxId: victimSandboxId })],
    [r.removePodSandbox, () => ({ podSandboxId: victimSandboxId })],
    [r.podSandboxStatus, () => ({ podSandboxId: sandboxId, verbose: true })],
    [r.listPodSandbox, () => ({ filter: { labelSelector: labels } })],
    [r.streamPodSandboxes, () => ({ filter: { labelSelector: labels } })],
    [r.createContainer, () => ({ podSandboxId: sandboxId, config: containerConfig("fuzzed", attempt++), sandboxConfig: pod })],
    [r.startContainer, () => ({ containerId })],
    [r.stopContainer, () => ({ containerId: victimContainerId, timeout: 1n })],
    [r.removeContainer, () => ({ containerId: victimContainerId })],
    [r.listContainers, () => ({ filter: { podSandboxId: sandboxId, labelSelector: labels } })],
    [r.streamContainers, () => ({ filter: { podSandboxId: sandboxId, labelSelector: labels } })],
    [r.containerStatus, () => ({ containerId, verbose: true })],
    [r.updateContainerResources, () => ({ containerId, linux: { cpuShares: 512n, memoryLimitInBytes: 256n * 1024n * 1024n } })],
    [r.reopenContainerLog, () => ({ containerId })],
    [r.execSync, () => ({ containerId, cmd: ["true"], timeout: 10n })],
    [r.exec, () => ({ containerId, cmd: ["true"], stdout: true })],
    [r.attach, () => ({ containerId, stdout: true })],
    [r.portForward, () => ({ podSandboxId: sandboxId, port: [80] })],
    [r.containerStats, () => ({ containerId })],
    [r.listContainerStats, () => ({ filter: { podSandboxId: sandboxId, labelSelector: labels } })],
    [r.streamContainerStats, () => ({ filter: { podSandboxId: sandboxId, labelSelector: labels } })],
    [r.podSandboxStats, () => ({ podSandboxId: sandboxId })],
    [r.listPodSandboxStats, () => ({ filter: { id: sandboxId, labelSelector: labels } })],
    [r.streamPodSandboxStats, () => ({ filter: { id: sandboxId, labelSelector: labels } })],
    [r.updateRuntimeConfig, () => ({ runtimeConfig: { networkConfig: { podCidr: "10.88.0.0/16" } } })],
    [r.status, () => ({ verbose: true })],
    [r.checkpointContainer, () => ({ containerId, location: join(daemon.rootDir, "checkpoint.tar") })],
    [r.listPodSandboxMetrics, () => ({})],
    [r.updatePodSandboxResources, () => ({ podSandboxId: sandboxId })],
    [i.listImages, () => ({ filter: { image: { image: busyboxTag } } })],
    [i.streamImages, () => ({ filter: { image: { image: busyboxTag } } })],
    [i.imageStatus, () => ({ image: { image: busyboxTag }, verbose: true })],
    // A registry on a closed loopback port: a pull that gets past validation fails at once, offline.
    [i.pullImage, () => ({ image: { image: `127.0.0.1:9/docker-cri-fuzz/none:${runId}` }, auth: { username: "u", password: "p" } })],
    [i.removeImage, () => ({ image: { image: `docker-cri-fuzz/none:${runId}` } })],
  ]);
  const baselines = new Map<DescMethod, () => Message>();
  for (const [method, make] of init) baselines.set(method, () => create(method.input, make() as never)); // `as never`: each init object above is shaped for its own method's input

  const containersOfRun = async (): Promise<string[]> => {
    const ids = new Set<string>();
    for (const filters of [{ ancestor: [images.pause.id] }, { ancestor: [images.busybox.id] }, { label: [`${fuzzRunLabel}=${runId}`] }]) {
      const body = await dockerJson({ method: "GET", path: "/containers/json", query: { all: "1", filters: JSON.stringify(filters) } });
      if (Array.isArray(body)) for (const c of body) if (isRecord(c) && typeof c.Id === "string") ids.add(c.Id);
    }
    return [...ids];
  };

  return {
    runId,
    daemon,
    cri,
    pauseTag,
    busyboxTag,
    sandboxId,
    containerId,
    victimSandboxId,
    victimContainerId,
    podConfig,
    baselines,
    known,
    containersOfRun,
    async dispose() {
      try {
        const sandboxes = await cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: labels } });
        for (const s of sandboxes.items) await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: s.id }).catch(() => undefined);
      } catch {
        // the daemon may be gone; Docker is cleaned directly below
      }
      await daemon.stop();
      await daemon.cleanup();
      for (const id of await containersOfRun()) await dockerRequest({ method: "DELETE", path: `/containers/${id}`, query: { force: "1", v: "1" } });
      for (const id of [images.pause.id, images.busybox.id]) await dockerRequest({ method: "DELETE", path: `/images/${encodeURIComponent(id)}`, query: { force: "1" } });
    },
  };
}
