/**
 * Shared setup of the container end-to-end tests: a docker-cri with the test pause image, pods whose
 * log directory is a temp directory of the run, container configs on the test busybox image carrying
 * the run's label (other engineers' tests share this dockerd, so only what carries it is ever listed
 * or removed), and small helpers to wait for states and read what Docker holds.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ContainerState, RuntimeService, type ContainerConfig, type ContainerConfigSchema } from "../../src/gen/index.js";
import type { CriClient } from "../kit/cri-client.js";
import type { Daemon } from "../kit/daemon.js";
import { BUSYBOX_IMAGE } from "../kit/images.js";
import { waitFor } from "../kit/wait-for.js";
import { newRun, removeRunContainers, runSandbox, startSandboxDaemon, type PodInit, type SandboxRun } from "../kit/sandbox-run.js";

export { field, inspect, runContainers } from "../kit/sandbox-run.js";

/** A container config as a plain init object, so tests can spread and merge them. */
export type ContainerInit = Exclude<MessageInitShape<typeof ContainerConfigSchema>, ContainerConfig>;

export interface ContainerRun {
  readonly sandbox: SandboxRun;
  readonly daemon: Daemon;
  readonly cri: CriClient;
  /** A temp directory for pod log directories and host paths; removed by `close`. */
  readonly dir: string;
  /** A running pod with its own log directory; returns its id and config. */
  pod(name: string, over?: PodInit): Promise<{ id: string; config: PodInit }>;
  /** A busybox container config with the run's label; `over` is merged in. */
  container(name: string, over?: ContainerInit): ContainerInit;
  create(pod: { id: string; config: PodInit }, config: ContainerInit): Promise<string>;
  /** Create and start. */
  run(pod: { id: string; config: PodInit }, config: ContainerInit): Promise<string>;
  state(id: string): Promise<ContainerState>;
  /** Waits (up to `ms`) until the container is in `state`. */
  waitFor(id: string, state: ContainerState, ms?: number): Promise<void>;
  /** ExecSync as text. */
  exec(id: string, cmd: string[], timeout?: bigint): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  close(): Promise<void>;
}

export async function startContainerRun(daemonArgs: string[] = []): Promise<ContainerRun> {
  const sandbox = newRun();
  const dir = await mkdtemp(join(tmpdir(), `docker-cri-containers-${sandbox.runId}-`));
  const daemon = await startSandboxDaemon({ args: daemonArgs }).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const cri = daemon.client();
  const r: ContainerRun = {
    sandbox,
    daemon,
    cri,
    dir,
    async pod(name, over = {}) {
      const config = sandbox.pod(name, { logDirectory: join(dir, `pod-${name}`), ...over });
      return { id: await runSandbox(cri, config), config };
    },
    container(name, over = {}) {
      return {
        metadata: { name, attempt: 0 },
        image: { image: BUSYBOX_IMAGE },
        command: ["sleep", "600"],
        ...over,
        labels: { ...sandbox.selector, ...(over.labels ?? {}) },
      };
    },
    async create(pod, config) {
      const res = await cri.call(RuntimeService.method.createContainer, { podSandboxId: pod.id, config, sandboxConfig: pod.config });
      return res.containerId;
    },
    async run(pod, config) {
      const id = await r.create(pod, config);
      await cri.call(RuntimeService.method.startContainer, { containerId: id });
      return id;
    },
    async state(id) {
      const s = (await cri.call(RuntimeService.method.containerStatus, { containerId: id })).status;
      return s?.state ?? ContainerState.CONTAINER_UNKNOWN;
    },
    async waitFor(id, state, ms = 20_000) {
      let now = ContainerState.CONTAINER_UNKNOWN;
      await waitFor(`container ${id} to be ${ContainerState[state]}`, async () => (now = await r.state(id)) === state, {
        timeoutMs: ms,
        intervalMs: 100,
        detail: () => `it is ${ContainerState[now]}`,
      });
    },
    async exec(id, cmd, timeout = 30n) {
      const res = await cri.call(RuntimeService.method.execSync, { containerId: id, cmd, timeout }, { deadlineMs: 60_000 + Number(timeout) * 1000 });
      return { stdout: Buffer.from(res.stdout).toString("utf8"), stderr: Buffer.from(res.stderr).toString("utf8"), exitCode: res.exitCode };
    },
    async close() {
      await daemon.stop();
      await removeRunContainers(sandbox);
      await daemon.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return r;
}
