/**
 * The event-fed state cache behind ListPodSandbox, ListContainers, PodSandboxStatus and
 * ContainerStatus: answers without a Docker round trip when nothing changed (checked in the daemon's
 * debug log of Docker calls), sees changes made behind docker-cri's back within an event, and never
 * shows the state from before docker-cri's own writes.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { status } from "@grpc/grpc-js";
import { ContainerState, PodSandboxState, RuntimeService } from "../../src/gen/index.js";
import { same, sameDeep } from "../kit/assert.js";
import { isGrpcError } from "../kit/cri-client.js";
import { dockerJson } from "../kit/docker-api.js";
import { startContainerRun, type ContainerRun } from "./container-fixture.js";

let r: ContainerRun;
before(async () => {
  r = await startContainerRun(["--log-level=debug"]);
});
after(async () => {
  await r.close();
});

/** Docker calls the daemon logged since `from` (an offset into its stderr) whose path mentions one of `needles`. */
function dockerCallsSince(from: number, needles: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of r.daemon.stderr().slice(from).split("\n")) {
    if (!line.includes('"Docker API call"')) continue;
    const parsed: unknown = JSON.parse(line);
    const operation = String(Reflect.get(parsed as object, "operation")); // a pino JSON object line
    const path = String(Reflect.get(parsed as object, "path"));
    if (operation === "list_containers" || needles.some((n) => path.includes(n))) out.push(`${operation} ${path}`);
  }
  return out;
}

/** How long `fn` takes to become true, polling fast; throws after `ms`. */
async function timeUntil(what: string, ms: number, fn: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`${what} not seen within ${ms} ms`);
    await sleep(10);
  }
}

const containerState = async (id: string) => (await r.cri.call(RuntimeService.method.containerStatus, { containerId: id })).status?.state;
const listed = async (id: string) => (await r.cri.call(RuntimeService.method.listContainers, { filter: { labelSelector: r.sandbox.selector } })).containers.find((c) => c.id === id);

describe("state cache", () => {
  it("answers lists and statuses without asking Docker when nothing changed", async () => {
    const pod = await r.pod("quiet");
    const id = await r.run(pod, r.container("quiet"));
    // Let the events of that creation settle and the image identity cache fill.
    await r.cri.call(RuntimeService.method.containerStatus, { containerId: id });
    await sleep(500);
    const from = r.daemon.stderr().length;
    for (let i = 0; i < 20; i++) {
      same((await r.cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: r.sandbox.selector } })).items.some((p) => p.id === pod.id), true);
      same((await listed(id))?.state, ContainerState.CONTAINER_RUNNING);
      same((await r.cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: pod.id })).status?.state, PodSandboxState.SANDBOX_READY);
      same(await containerState(id), ContainerState.CONTAINER_RUNNING);
      await r.cri.call(RuntimeService.method.listContainerStats, { filter: { podSandboxId: pod.id } });
    }
    await sleep(100);
    sameDeep(dockerCallsSince(from, [id, pod.id]), [], "100 reads, no Docker call about them");
  });

  it("reflects changes made behind docker-cri's back within an event", async () => {
    const pod = await r.pod("behind");
    const id = await r.run(pod, r.container("behind"));
    await dockerJson({ method: "POST", path: `/containers/${id}/stop`, query: { t: "0" } });
    const stopMs = await timeUntil("EXITED", 3000, async () => (await containerState(id)) === ContainerState.CONTAINER_EXITED);
    same((await listed(id))?.state, ContainerState.CONTAINER_EXITED);

    await dockerJson({ method: "POST", path: `/containers/${id}/rename`, query: { name: `k8s_renamed_behind-${r.sandbox.runId}_docker-cri-test_${pod.config.metadata?.uid ?? ""}_4` } });
    await timeUntil("the new name", 3000, async () => (await r.cri.call(RuntimeService.method.containerStatus, { containerId: id })).status?.metadata?.attempt === 4);

    await dockerJson({ method: "DELETE", path: `/containers/${id}`, query: { force: "1" } });
    await timeUntil("the removal", 3000, async () => (await listed(id)) === undefined);
    await assert.rejects(r.cri.call(RuntimeService.method.containerStatus, { containerId: id }), (e: unknown) => isGrpcError(e, status.NOT_FOUND));

    await dockerJson({ method: "POST", path: `/containers/${pod.id}/kill`, query: { signal: "KILL" } });
    await timeUntil("the sandbox NOTREADY", 3000, async () =>
      (await r.cri.call(RuntimeService.method.listPodSandbox, { filter: { id: pod.id } })).items[0]?.state === PodSandboxState.SANDBOX_NOTREADY);
    same((await r.cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: pod.id })).status?.state, PodSandboxState.SANDBOX_NOTREADY);
    assert.ok(stopMs < 3000);
  });

  it("never answers with the state from before docker-cri's own write", async () => {
    const pod = await r.pod("ryw");
    for (let i = 0; i < 5; i++) {
      const id = await r.create(pod, r.container(`ryw${i}`));
      same((await listed(id))?.state, ContainerState.CONTAINER_CREATED, "listed right after CreateContainer");
      await r.cri.call(RuntimeService.method.startContainer, { containerId: id });
      same(await containerState(id), ContainerState.CONTAINER_RUNNING, "RUNNING right after StartContainer");
      await r.cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 0n });
      same(await containerState(id), ContainerState.CONTAINER_EXITED, "EXITED right after StopContainer");
      same((await listed(id))?.state, ContainerState.CONTAINER_EXITED);
      await r.cri.call(RuntimeService.method.removeContainer, { containerId: id });
      same(await listed(id), undefined, "gone from the list right after RemoveContainer");
      await assert.rejects(r.cri.call(RuntimeService.method.containerStatus, { containerId: id }), (e: unknown) => isGrpcError(e, status.NOT_FOUND));
    }
    await r.cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: pod.id });
    same((await r.cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: pod.id })).status?.state, PodSandboxState.SANDBOX_NOTREADY);
  });
});
