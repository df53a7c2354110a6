/**
 * GetContainerEvents end to end: every lifecycle step of sandboxes and containers (including an exit,
 * an OOM kill and a kill behind docker-cri's back) arrives with the pod's sandbox status and its
 * containers' statuses; several subscribers at once, one of them stalled; a subscriber that
 * reconnects is replayed what it missed.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ContainerEventType, ContainerState, PodSandboxState, RuntimeService, type ContainerEventResponse } from "../../src/gen/index.js";
import { same, sameDeep } from "../kit/assert.js";
import { dockerJson } from "../kit/docker-api.js";
import { subscribeEvents, type EventSubscriber } from "../kit/events-stream.js";
import { startContainerRun, type ContainerRun } from "./container-fixture.js";

const { CONTAINER_CREATED_EVENT: CREATED, CONTAINER_STARTED_EVENT: STARTED, CONTAINER_STOPPED_EVENT: STOPPED, CONTAINER_DELETED_EVENT: DELETED } = ContainerEventType;

let r: ContainerRun;
const subscribers: EventSubscriber[] = [];
before(async () => {
  r = await startContainerRun();
});
after(async () => {
  for (const s of subscribers) s.close();
  await r.close();
});

function subscribe(): EventSubscriber {
  const s = subscribeEvents(r.daemon.socketPath);
  subscribers.push(s);
  return s;
}

const is = (id: string, type: ContainerEventType) => (e: ContainerEventResponse) => e.containerId === id && e.containerEventType === type;
const statusOf = (e: ContainerEventResponse, id: string) => e.containersStatuses.find((s) => s.id === id);

describe("GetContainerEvents", () => {
  it("streams every lifecycle step with the pod's statuses", async () => {
    const sub = subscribe();
    const pod = await r.pod("life");
    const uid = pod.config.metadata?.uid;
    const sbStarted = await sub.waitFor(is(pod.id, STARTED), 10_000, "sandbox STARTED");
    await sub.waitFor(is(pod.id, CREATED), 1_000, "sandbox CREATED");
    same(sbStarted.podSandboxStatus?.metadata?.uid, uid);
    same(sbStarted.podSandboxStatus?.state, PodSandboxState.SANDBOX_READY);

    const id = await r.create(pod, r.container("life", { command: ["sh", "-c", "sleep 1; exit 3"] }));
    const created = await sub.waitFor(is(id, CREATED), 10_000, "CREATED");
    same(created.podSandboxStatus?.id, pod.id);
    same(statusOf(created, id)?.state, ContainerState.CONTAINER_CREATED);
    same(statusOf(created, id)?.metadata?.name, "life");

    await r.cri.call(RuntimeService.method.startContainer, { containerId: id });
    const started = await sub.waitFor(is(id, STARTED), 10_000, "STARTED");
    same(statusOf(started, id)?.state, ContainerState.CONTAINER_RUNNING);

    const stopped = await sub.waitFor(is(id, STOPPED), 15_000, "STOPPED after the exit");
    same(statusOf(stopped, id)?.state, ContainerState.CONTAINER_EXITED);
    same(statusOf(stopped, id)?.exitCode, 3);
    same(statusOf(stopped, id)?.reason, "Error");
    assert.ok(stopped.createdAt > started.createdAt && started.createdAt > created.createdAt, "created_at orders the events");

    await r.cri.call(RuntimeService.method.removeContainer, { containerId: id });
    const deleted = await sub.waitFor(is(id, DELETED), 10_000, "DELETED");
    same(statusOf(deleted, id), undefined, "a deleted container is no longer among the pod's statuses");
    same(deleted.podSandboxStatus?.metadata?.uid, uid);

    await r.cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: pod.id });
    const sbStopped = await sub.waitFor(is(pod.id, STOPPED), 15_000, "sandbox STOPPED");
    same(sbStopped.podSandboxStatus?.state, PodSandboxState.SANDBOX_NOTREADY);
    await r.cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: pod.id });
    const sbDeleted = await sub.waitFor(is(pod.id, DELETED), 10_000, "sandbox DELETED");
    same(sbDeleted.podSandboxStatus?.metadata?.uid, uid, "the deleted sandbox still names its pod");

    const mine = sub.events.filter((e) => e.containerId === id).map((e) => e.containerEventType);
    sameDeep(mine, [CREATED, STARTED, STOPPED, DELETED]);
  });

  it("reports an OOM kill and a kill behind docker-cri's back as STOPPED", async () => {
    const sub = subscribe();
    const pod = await r.pod("oom");
    const oom = await r.run(pod, r.container("oom", {
      command: ["sh", "-c", "head -c 300m /dev/zero | tail"],
      linux: { resources: { memoryLimitInBytes: 32n * 1024n * 1024n, memorySwapLimitInBytes: 32n * 1024n * 1024n } },
    }));
    const oomStopped = await sub.waitFor(is(oom, STOPPED), 30_000, "STOPPED after the OOM kill");
    same(statusOf(oomStopped, oom)?.reason, "OOMKilled");

    const victim = await r.run(pod, r.container("victim"));
    await sub.waitFor(is(victim, STARTED), 10_000, "STARTED");
    await dockerJson({ method: "POST", path: `/containers/${victim}/kill`, query: { signal: "KILL" } });
    const killed = await sub.waitFor(is(victim, STOPPED), 10_000, "STOPPED after docker kill");
    same(statusOf(killed, victim)?.exitCode, 137);
  });

  it("feeds several subscribers at once; a stalled one holds up nobody", async () => {
    const a = subscribe();
    const b = subscribe();
    const stalled = subscribe();
    await sleep(300);
    stalled.pause();
    const pod = await r.pod("fan");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await r.run(pod, r.container(`fan${i}`)));
    for (const id of ids) {
      await a.waitFor(is(id, STARTED), 10_000, "STARTED on a");
      await b.waitFor(is(id, STARTED), 10_000, "STARTED on b");
    }
    const seen = (s: EventSubscriber) => s.events.filter((e) => ids.includes(e.containerId)).map((e) => `${e.containerId}:${e.containerEventType}`);
    sameDeep(seen(a), seen(b), "both see the same events in the same order");
    stalled.resume();
    await stalled.waitFor(is(ids[4] ?? "", STARTED), 10_000, "STARTED on the stalled one, once it reads again");
  });

  it("replays to a reconnecting subscriber what happened while it was away", async () => {
    const first = subscribe();
    const pod = await r.pod("away");
    await first.waitFor(is(pod.id, STARTED), 10_000, "sandbox STARTED");
    first.close();
    const id = await r.run(pod, r.container("away"));
    await r.cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 0n });
    await r.cri.call(RuntimeService.method.removeContainer, { containerId: id });
    await sleep(500);
    const again = subscribe();
    await again.waitFor(is(id, DELETED), 10_000, "the replayed DELETED");
    sameDeep(again.events.filter((e) => e.containerId === id).map((e) => e.containerEventType), [CREATED, STARTED, STOPPED, DELETED]);
    assert.ok(again.events.some(is(pod.id, STARTED)), "and what came before it");
  });
});
