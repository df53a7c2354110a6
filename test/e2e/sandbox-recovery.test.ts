/**
 * Crash safety and concurrency of pod sandboxes against the real dockerd: docker-cri killed with
 * SIGKILL between creating and starting a sandbox (a test-only pause point makes the moment exact),
 * sandboxes whose container was removed behind our back, corrupt checkpoints, concurrent and retried
 * RunPodSandbox calls, and the name conflict a crash leaves behind.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { PodSandboxState, RuntimeService } from "../../src/gen/index.js";
import { isGrpcError } from "../kit/cri-client.js";
import type { Daemon } from "../kit/daemon.js";
import { dockerJson } from "../kit/docker-api.js";
import { field, inspect, newRun, removeRunContainers, runContainers, runSandbox, startSandboxDaemon, type PodInit, type SandboxRun } from "../kit/sandbox-run.js";

const pauseEnv = "DOCKER_CRI_TEST_PAUSE_AFTER_SANDBOX_CREATE_MS";

/** Waits for the test hook's log line and returns the sandbox id it names. */
async function pausedSandboxId(daemon: Daemon, podName: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    for (const line of daemon.stderr().split("\n")) {
      if (!line.includes("Test hook: pausing") || !line.includes(podName)) continue;
      const parsed = JSON.parse(line) as { podSandboxId?: string };
      if (parsed.podSandboxId !== undefined) return parsed.podSandboxId;
    }
    await sleep(25);
  }
  throw new Error(`docker-cri never reached the pause point for ${podName}:\n${daemon.stderr()}`);
}

describe("pod sandbox crash safety and concurrency", () => {
  let run: SandboxRun;
  let root: string;
  const daemons: Daemon[] = [];

  const start = async (env: Record<string, string> = {}) => {
    const d = await startSandboxDaemon({ args: [`--cri-dockerd-root-directory=${root}`], env });
    daemons.push(d);
    return d;
  };
  const checkpointPath = (id: string) => join(root, "sandbox", id);

  before(async () => {
    run = newRun();
    root = await mkdtemp(join(tmpdir(), "docker-cri-sandbox-recovery-"));
  });
  after(async () => {
    for (const d of daemons) {
      await d.stop("SIGKILL");
      await d.cleanup();
    }
    await removeRunContainers(run);
    await rm(root, { recursive: true, force: true });
  });

  /** Starts RunPodSandbox on a daemon that pauses after create, kills it there, returns the stale id. */
  async function crashBetweenCreateAndStart(config: PodInit): Promise<string> {
    const crashing = await start({ [pauseEnv]: "600000" });
    const pending = crashing.client().call(RuntimeService.method.runPodSandbox, { config }).catch((err: unknown) => err);
    const id = await pausedSandboxId(crashing, config.metadata?.name ?? "");
    assert.equal(field(await inspect(id), "State", "Status"), "created");
    await stat(checkpointPath(id));
    await crashing.stop("SIGKILL");
    assert.ok(isGrpcError(await pending, grpcStatus.UNAVAILABLE), "the call dies with the process");
    return id;
  }

  it("after kill -9 between create and start and a restart, the sandbox is listed NOTREADY and Stop/Remove leave nothing", async () => {
    const config = run.pod("crash", { labels: { case: "crash" } });
    const id = await crashBetweenCreateAndStart(config);

    const d = await start();
    const cri = d.client();
    const listed = (await cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: { ...run.selector, case: "crash" } } })).items;
    assert.deepEqual(listed.map((i) => [i.id, i.state, i.metadata?.uid]), [[id, PodSandboxState.SANDBOX_NOTREADY, config.metadata?.uid]]);
    assert.equal((await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: id })).status?.state, PodSandboxState.SANDBOX_NOTREADY);
    await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: id });
    await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: id });
    assert.equal(await inspect(id), undefined, "no container");
    await assert.rejects(stat(checkpointPath(id)), /ENOENT/, "no checkpoint");
    assert.deepEqual((await cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: { ...run.selector, case: "crash" } } })).items, []);
  });

  it("a retry of the crashed call replaces the stale container holding the pod's name, as dockershim did", async () => {
    const config = run.pod("conflict", { labels: { case: "conflict" } });
    const stale = await crashBetweenCreateAndStart(config);
    const d = await start();
    const id = await runSandbox(d.client(), config);
    assert.notEqual(id, stale);
    assert.equal(await inspect(stale), undefined, "the stale container was removed");
    await assert.rejects(stat(checkpointPath(stale)), /ENOENT/, "and its checkpoint");
    const c = await inspect(id);
    assert.equal(field(c, "State", "Running"), true);
    assert.equal(field(c, "Name"), `/k8s_POD_${config.metadata?.name ?? ""}_${config.metadata?.namespace ?? ""}_${config.metadata?.uid ?? ""}_0`, "under the pod's own name");
  });

  it("a sandbox whose container was removed behind our back is listed NOTREADY from its checkpoint, then stopped and removed cleanly", async () => {
    const d = daemons.at(-1) ?? (await start());
    const cri = d.client();
    const config = run.pod("gone", { labels: { case: "gone" } });
    const id = await runSandbox(cri, config);
    await dockerJson({ method: "DELETE", path: `/containers/${id}`, query: { force: "1", v: "1" } });

    const items = (await cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: { ...run.selector, case: "gone" } } })).items;
    assert.equal(items.length, 1);
    const item = items[0];
    assert.ok(item !== undefined);
    assert.equal(item.id, id);
    assert.equal(item.state, PodSandboxState.SANDBOX_NOTREADY);
    assert.equal(item.metadata?.name, config.metadata?.name);
    assert.equal(item.metadata?.uid, config.metadata?.uid);
    assert.deepEqual((await cri.call(RuntimeService.method.listPodSandbox, { filter: { id: id.slice(0, 10), state: { state: PodSandboxState.SANDBOX_READY } } })).items, []);
    const s = await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: id, verbose: true });
    assert.equal(s.status?.state, PodSandboxState.SANDBOX_NOTREADY);
    assert.match(s.info.info ?? "", /"containerGone":true/);

    await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: id });
    await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: id });
    await assert.rejects(stat(checkpointPath(id)), /ENOENT/);
    assert.deepEqual((await cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: { ...run.selector, case: "gone" } } })).items, []);
    await assert.rejects(cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: id }), (err) => isGrpcError(err, grpcStatus.NOT_FOUND));
  });

  it("removes a corrupt checkpoint with a warning", async () => {
    const d = daemons.at(-1) ?? (await start());
    const bogus = `${run.runId}${"e".repeat(56)}`;
    await writeFile(checkpointPath(bogus), '{"version":"docker-cri/v1","name":"x","namespace":"y","data":{},"checksum":"sha256:0000"}');
    await d.client().call(RuntimeService.method.listPodSandbox, {});
    assert.ok(!(await readdir(join(root, "sandbox"))).includes(bogus));
    assert.match(d.stderr(), new RegExp(`"level":"warn".*"podSandboxId":"${bogus}".*Removing corrupt sandbox checkpoint`));
  });

  it("concurrent RunPodSandbox calls for one pod yield one sandbox", async () => {
    const d = daemons.at(-1) ?? (await start());
    const config = run.pod("concurrent", { labels: { case: "concurrent" } });
    const ids = await Promise.all([1, 2, 3].map(() => runSandbox(d.client(), config)));
    assert.equal(new Set(ids).size, 1, ids.join(" "));
    const mine = [];
    for (const c of await runContainers(run)) {
      if (field(await inspect(c), "Config", "Labels", "case") === "concurrent") mine.push(c);
    }
    assert.deepEqual(mine, [ids[0]]);
  });

  it("a call retried after a timeout gets the first call's sandbox", async () => {
    const slow = await start({ [pauseEnv]: "2500" });
    const config = run.pod("retry", { labels: { case: "retry" } });
    await assert.rejects(
      slow.client().call(RuntimeService.method.runPodSandbox, { config }, { deadlineMs: 800 }),
      (err) => isGrpcError(err, grpcStatus.DEADLINE_EXCEEDED),
    );
    const id = await runSandbox(slow.client(), config);
    assert.equal(field(await inspect(id), "State", "Running"), true);
    const items = (await slow.client().call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: { ...run.selector, case: "retry" } } })).items;
    assert.deepEqual(items.map((i) => i.id), [id], "one sandbox for the pod");
    assert.match(slow.stderr(), /Pod sandbox finished after the caller gave up/);
  });
});
