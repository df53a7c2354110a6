/**
 * dockerd going away under a serving docker-cri: a private dockerd (test/kit/private-dockerd.ts; the
 * shared one is never touched) is stopped and started again, and frozen (SIGSTOP) and thawed, while
 * docker-cri keeps serving. During an outage calls must fail fast with Unavailable and a message
 * naming the Docker endpoint, and Status must report RuntimeReady=false; within 2 s of dockerd
 * answering again service resumes by itself, with the container state cache resynced (dockerd
 * stopped every container when it shut down, and docker-cri must say so).
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { ContainerState, ImageService, PodSandboxState, RuntimeService } from "../../src/gen/index.js";
import { isGrpcError, type CriClient } from "../kit/cri-client.js";
import { startDaemon, type Daemon } from "../kit/daemon.js";
import { BUSYBOX_IMAGE, ensureTestImages, PAUSE_IMAGE } from "../kit/images.js";
import { newRun, type SandboxRun } from "../kit/sandbox-run.js";
import { createPrivateDockerd, type PrivateDockerd } from "../kit/private-dockerd.js";
import { waitFor } from "../kit/wait-for.js";
import { bySize } from "./kit/scale.js";

const restarts = bySize(1, 3);
/** What "fail fast" means for a refused connection. */
const fastMs = 1_000;
/** How soon after dockerd answers docker-cri must serve again, cache included. */
const resumeMs = 2_000;

describe("dockerd outages", { timeout: bySize(180_000, 300_000) }, () => {
  let dockerd: PrivateDockerd;
  let daemon: Daemon | undefined;
  let cri: CriClient;
  let run: SandboxRun;
  let logDirectory: string;

  before(async () => {
    await ensureTestImages();
    dockerd = await createPrivateDockerd();
    await dockerd.start();
    await dockerd.loadImages([PAUSE_IMAGE, BUSYBOX_IMAGE]);
    run = newRun();
    // A short request timeout, so that calls to a frozen dockerd end within the test.
    daemon = await startDaemon({ args: [`--docker-endpoint=${dockerd.endpoint}`, `--pod-infra-container-image=${PAUSE_IMAGE}`, "--runtime-request-timeout=4s"] });
    cri = daemon.client();
    logDirectory = join(daemon.rootDir, "pod-logs");
    await mkdir(logDirectory, { recursive: true });
  });
  after(async () => {
    // before() can fail between the private dockerd's start and docker-cri's (a start-up past the test
    // kit's bound on a loaded machine): the dockerd must go all the same, or it keeps this file's
    // process, and with it the whole npm test, from ever exiting.
    try {
      if (daemon !== undefined) {
        await daemon.stop();
        await daemon.cleanup();
      }
    } finally {
      await dockerd.dispose();
    }
  });

  const runtimeReady = async (): Promise<{ ready: boolean; reason: string; message: string; ms: number }> => {
    const started = performance.now();
    const res = await cri.call(RuntimeService.method.status, {}, { deadlineMs: 15_000 });
    const c = res.status?.conditions.find((x) => x.type === "RuntimeReady");
    return { ready: c?.status === true, reason: c?.reason ?? "", message: c?.message ?? "", ms: performance.now() - started };
  };

  const startPod = async (name: string): Promise<{ sandbox: string; container: string }> => {
    const config = { ...run.pod(name), logDirectory };
    const sandbox = (await cri.call(RuntimeService.method.runPodSandbox, { config }, { deadlineMs: 60_000 })).podSandboxId;
    const container = (await cri.call(RuntimeService.method.createContainer, { podSandboxId: sandbox, sandboxConfig: config, config: { metadata: { name: "app" }, image: { image: BUSYBOX_IMAGE }, command: ["sleep", "600"], logPath: "app.log" } })).containerId;
    await cri.call(RuntimeService.method.startContainer, { containerId: container });
    return { sandbox, container };
  };

  /** Calls that all need Docker; each must fail fast with Unavailable naming the endpoint. */
  const expectUnavailable = async (pod: { sandbox: string; container: string }): Promise<void> => {
    const calls: [string, () => Promise<unknown>][] = [
      ["Version", () => cri.call(RuntimeService.method.version, {})],
      ["ListPodSandbox", () => cri.call(RuntimeService.method.listPodSandbox, {})],
      ["PodSandboxStatus", () => cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: pod.sandbox })],
      ["ListContainers", () => cri.call(RuntimeService.method.listContainers, {})],
      ["ContainerStatus", () => cri.call(RuntimeService.method.containerStatus, { containerId: pod.container })],
      ["RunPodSandbox", () => cri.call(RuntimeService.method.runPodSandbox, { config: { ...run.pod("during-outage"), logDirectory } })],
      ["ExecSync", () => cri.call(RuntimeService.method.execSync, { containerId: pod.container, cmd: ["true"] })],
      ["ListImages", () => cri.call(ImageService.method.listImages, {})],
      ["ImageStatus", () => cri.call(ImageService.method.imageStatus, { image: { image: BUSYBOX_IMAGE } })],
    ];
    for (const [what, call] of calls) {
      const started = performance.now();
      const err = await call().then(() => undefined, (e: unknown) => e);
      assert.ok(isGrpcError(err, status.UNAVAILABLE, `Cannot connect to the Docker daemon at ${dockerd.endpoint}`), `${what} during the outage: ${err === undefined ? "succeeded" : err instanceof Error ? err.message : JSON.stringify(err)}`);
      const ms = performance.now() - started;
      assert.ok(ms < fastMs, `${what} took ${Math.round(ms)} ms to fail`);
    }
  };

  /** Times (ms since the epoch) of the state cache's "synced with Docker" log lines so far. */
  const cacheSyncs = (): number[] =>
    (daemon?.stderr() ?? "").split("\n").filter((l) => l.includes("Container state cache synced with Docker")).map((l) => Date.parse(String((JSON.parse(l) as { time?: string }).time)));

  /** Polls until Status says ready and a list works; returns how long that took after dockerd answered. */
  const resumed = async (answeredAt: number): Promise<number> => {
    for (;;) {
      const ok = await runtimeReady().then((s) => s.ready).catch(() => false)
        && (await cri.call(RuntimeService.method.listPodSandbox, {}).then(() => true, () => false));
      if (ok) return performance.now() - answeredAt;
      if (performance.now() - answeredAt > 30_000) assert.fail("docker-cri did not resume within 30 s of dockerd answering");
      await sleep(50);
    }
  };

  it(`fails fast while dockerd is stopped and resumes by itself after each of ${restarts} restarts`, async () => {
    assert.equal((await runtimeReady()).ready, true);
    for (let n = 0; n < restarts; n++) {
      const pod = await startPod(`outage${n}`);
      // A command running when dockerd goes: it must end (one way or the other), not hang.
      const inFlight = cri.call(RuntimeService.method.execSync, { containerId: pod.container, cmd: ["sleep", "60"] }, { deadlineMs: 60_000 }).then(() => "ok", (err: unknown) => err);
      await sleep(300);

      const stopped = performance.now();
      await dockerd.stop();
      console.log(`restart ${n + 1}: dockerd stopped in ${Math.round(performance.now() - stopped)} ms`);
      const outcome = await Promise.race([inFlight, sleep(10_000, "hung")]);
      assert.ok(outcome === "ok" || isGrpcError(outcome, status.UNAVAILABLE), `the ExecSync running when dockerd stopped ended with ${String(outcome)}`);

      const s = await runtimeReady();
      assert.equal(s.ready, false);
      assert.equal(s.reason, "DockerDaemonNotReady");
      assert.match(s.message, new RegExp(`Cannot connect to the Docker daemon at ${dockerd.endpoint}`));
      assert.ok(s.ms < fastMs, `Status took ${Math.round(s.ms)} ms`);
      await expectUnavailable(pod);
      // Still unavailable a little later (the event stream's reconnect attempts change nothing).
      await sleep(1_500);
      await expectUnavailable(pod);

      const syncsBefore = cacheSyncs().length;
      await dockerd.start();
      const answeredAt = performance.now();
      const answeredWall = Date.now();
      const took = await resumed(answeredAt);
      // The event-fed cache subscribes to /events again and resyncs (list + inspect everything).
      const syncedAt = await waitFor("the state cache to sync again", () => cacheSyncs()[syncsBefore], { timeoutMs: 10_000, intervalMs: 25 });
      console.log(`restart ${n + 1}: docker-cri served again ${Math.round(took)} ms after dockerd answered, its state cache resynced after ${syncedAt - answeredWall} ms`);
      assert.ok(took < resumeMs, `resumed after ${Math.round(took)} ms`);
      assert.ok(syncedAt - answeredWall < resumeMs, `the state cache resynced ${syncedAt - answeredWall} ms after dockerd answered`);

      // Resynced: dockerd stopped the pod when it shut down, and every view says so at once.
      const sinceAnswer = (): number => performance.now() - answeredAt;
      const sandbox = await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: pod.sandbox });
      assert.equal(sandbox.status?.state, PodSandboxState.SANDBOX_NOTREADY, "the sandbox dockerd stopped reads NOTREADY");
      const container = await cri.call(RuntimeService.method.containerStatus, { containerId: pod.container });
      assert.equal(container.status?.state, ContainerState.CONTAINER_EXITED, "the container dockerd stopped reads EXITED");
      const listed = (await cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: run.selector } })).items.find((i) => i.id === pod.sandbox);
      assert.equal(listed?.state, PodSandboxState.SANDBOX_NOTREADY);
      const ready = (await cri.call(RuntimeService.method.listPodSandbox, { filter: { state: { state: PodSandboxState.SANDBOX_READY }, labelSelector: run.selector } })).items;
      assert.deepEqual(ready.map((i) => i.id), [], "no sandbox is listed READY");
      assert.ok(sinceAnswer() < resumeMs + 1_000, `the resynced views took ${Math.round(sinceAnswer())} ms`);

      // And the node works again: a new pod runs, the old one is cleaned up.
      const fresh = await startPod(`after${n}`);
      const exec = await cri.call(RuntimeService.method.execSync, { containerId: fresh.container, cmd: ["echo", "back"] });
      assert.equal(Buffer.from(exec.stdout).toString(), "back\n");
      for (const p of [pod, fresh]) {
        await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: p.sandbox });
        await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: p.sandbox });
      }
      assert.deepEqual((await cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: run.selector } })).items, []);
    }
  });

  it("reports a hung dockerd as not ready within Status's bound, times calls out, and recovers when it thaws", async () => {
    const pod = await startPod("frozen");
    await dockerd.freeze();
    try {
      const s = await runtimeReady();
      assert.equal(s.ready, false);
      assert.equal(s.reason, "DockerDaemonNotReady");
      assert.ok(s.ms < 6_000, `Status took ${Math.round(s.ms)} ms against a hung dockerd`);
      // Reads the event-fed cache can answer still work (its stream is open, only silent); a call that
      // needs Docker ends at --runtime-request-timeout rather than hanging.
      const c = await cri.call(RuntimeService.method.containerStatus, { containerId: pod.container }, { deadlineMs: 10_000 });
      assert.equal(c.status?.state, ContainerState.CONTAINER_RUNNING);
      const started = performance.now();
      await assert.rejects(cri.call(RuntimeService.method.execSync, { containerId: pod.container, cmd: ["true"] }, { deadlineMs: 30_000 }), (err) => isGrpcError(err, status.DEADLINE_EXCEEDED, "timed out after 4s"));
      assert.ok(performance.now() - started < 6_000, "the call ended at --runtime-request-timeout");
    } finally {
      dockerd.thaw();
    }
    const thawedAt = performance.now();
    const took = await resumed(thawedAt);
    console.log(`a thawed dockerd: docker-cri served again ${Math.round(took)} ms later`);
    assert.ok(took < resumeMs);
    const c = await cri.call(RuntimeService.method.containerStatus, { containerId: pod.container });
    assert.equal(c.status?.state, ContainerState.CONTAINER_RUNNING, "the pod kept running through the freeze");
    await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: pod.sandbox });
  });
});
