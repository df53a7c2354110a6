/**
 * Docker 29 (API 1.52) answers replayed by a fake engine to a real docker-cri daemon: no top-level
 * `NetworkSettings.IPAddress`/`Gateway`/`MacAddress`/… in container inspect and list, no legacy
 * `status`/`id`/`from` in events, image inspect without unset config fields. docker-cri must take a
 * sandbox's address from `NetworkSettings.Networks.bridge` (Docker's own networking, no network
 * plugin) and events from `Action`/`Actor`, and must speak API 1.51 to this engine (its newest,
 * accepted because the engine's minimum is 1.44). No Docker 29 engine runs here, hence the fake.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { ContainerEventType, ContainerState, PodSandboxState, RuntimeService } from "../../src/gen/index.js";
import {
  containerEvent152,
  containerInspect152,
  containerSummary152,
  imageInspect152,
  removedEventFields,
  removedNetworkSettingsFields,
  type ContainerShape,
} from "../fakes/docker-1.52-answers.js";
import { apiPath, fakeEventFeed, startFakeEngine, type FakeEngine, type FakeEventFeed, type RecordedRequest } from "../fakes/fake-engine.js";
import { runExpectingFailure, startDaemon, type Daemon } from "../kit/daemon.js";
import { subscribeEvents } from "../kit/events-stream.js";

const apiVersion = "1.52";
const uid = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const imageId = `sha256:${"1".repeat(64)}`;
const image = "busybox:1.36";
const now = new Date();
const iso = (offsetMs: number): string => new Date(now.getTime() + offsetMs).toISOString().replace("Z", "123Z");

const sandbox: ContainerShape = {
  id: "a".repeat(64),
  name: `/k8s_POD_web_default_${uid}_0`,
  image: "registry.k8s.io/pause:3.10",
  imageId: `sha256:${"2".repeat(64)}`,
  labels: {
    "io.kubernetes.docker.type": "podsandbox",
    "io.kubernetes.container.name": "POD",
    "io.kubernetes.pod.name": "web",
    "io.kubernetes.pod.namespace": "default",
    "io.kubernetes.pod.uid": uid,
    app: "web",
  },
  status: "running",
  pid: process.pid,
  exitCode: 0,
  created: iso(-60_000),
  startedAt: iso(-59_000),
  finishedAt: "0001-01-01T00:00:00Z",
  networkMode: "bridge",
  bridge: { ipAddress: "172.17.0.5", gateway: "172.17.0.1", macAddress: "02:42:ac:11:00:05" },
};

let app: ContainerShape = {
  id: "b".repeat(64),
  name: `/k8s_app_web_default_${uid}_0`,
  image,
  imageId,
  labels: {
    "io.kubernetes.docker.type": "container",
    "io.kubernetes.sandbox.id": sandbox.id,
    "io.kubernetes.container.name": "app",
    "io.kubernetes.container.logpath": `/var/log/pods/default_web_${uid}/app/0.log`,
    "io.kubernetes.pod.name": "web",
    "io.kubernetes.pod.namespace": "default",
    "io.kubernetes.pod.uid": uid,
  },
  status: "created",
  pid: process.pid,
  exitCode: 0,
  created: iso(-30_000),
  startedAt: "0001-01-01T00:00:00Z",
  finishedAt: "0001-01-01T00:00:00Z",
  networkMode: `container:${"a".repeat(64)}`,
};

function containers(): ContainerShape[] {
  return [sandbox, app];
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json", "Api-Version": apiVersion }).end(JSON.stringify(body));
}

/** Docker's `label`, `id` and `status` filters of `GET /containers/json`, and its `all`. */
function listed(rec: RecordedRequest): ContainerShape[] {
  const raw = rec.query.get("filters");
  const filters: Record<string, string[]> = raw === null ? {} : (JSON.parse(raw) as Record<string, string[]>); // Docker's map[string][]string, sent by us
  const all = rec.query.get("all") === "1";
  return containers().filter((c) => {
    if (!all && c.status !== "running") return false;
    for (const l of filters.label ?? []) {
      const [k = "", v] = l.split("=", 2);
      if (!(k in c.labels) || (v !== undefined && c.labels[k] !== v)) return false;
    }
    if (filters.id !== undefined && !filters.id.some((id) => c.id.startsWith(id))) return false;
    if (filters.status !== undefined && !filters.status.includes(c.status)) return false;
    return true;
  });
}

function hasAny(obj: unknown, keys: readonly string[]): string[] {
  if (typeof obj !== "object" || obj === null) return [];
  return keys.filter((k) => k in obj);
}

describe("docker-cri against a Docker 29 (API 1.52) engine's answers (fake engine)", () => {
  let engine: FakeEngine;
  let feed: FakeEventFeed;
  let daemon: Daemon | undefined;

  before(async () => {
    feed = fakeEventFeed(apiVersion);
    engine = await startFakeEngine(
      [
        { method: "GET", path: apiPath("/containers/json"), handler: (_req, res, rec) => { send(res, 200, listed(rec).map(containerSummary152)); } },
        {
          method: "GET",
          path: /^(?:\/v[\d.]+)?\/containers\/[^/]+\/json$/,
          handler: (_req, res, rec) => {
            const ref = decodeURIComponent(rec.pathname.split("/").at(-2) ?? "");
            const c = containers().find((x) => x.id.startsWith(ref) || x.name === `/${ref}`);
            if (c === undefined) send(res, 404, { message: `No such container: ${ref}` });
            else send(res, 200, containerInspect152(c));
          },
        },
        { method: "GET", path: /^(?:\/v[\d.]+)?\/images\/.+\/json$/, json: imageInspect152(imageId, image, `busybox@sha256:${"3".repeat(64)}`) },
        feed.route,
      ],
      { apiVersion, minApiVersion: "1.44", version: "29.0.0-fake" },
    );
    daemon = await startDaemon({ args: [`--docker-endpoint=${engine.endpoint}`, "--network-plugin="] });
    // The state cache subscribes at start-up; GetContainerEvents depends on it.
    await feed.waitForSubscribers(1);
  });

  after(async () => {
    await daemon?.stop();
    await daemon?.cleanup();
    await engine.close();
  });

  it("replays answers that really lack the fields API 1.52 removed", () => {
    for (const c of containers()) {
      assert.deepEqual(hasAny(containerInspect152(c).NetworkSettings, removedNetworkSettingsFields), []);
      assert.deepEqual(hasAny(containerSummary152(c).NetworkSettings, removedNetworkSettingsFields), []);
      assert.deepEqual(hasAny(containerEvent152("start", c, 1n), removedEventFields), []);
    }
  });

  it("negotiates API 1.51 with the 1.52 engine and sends every later call as /v1.51", async () => {
    assert.ok(daemon !== undefined);
    const v = await daemon.client().call(RuntimeService.method.version, {});
    assert.equal(v.runtimeVersion, "29.0.0-fake");
    assert.match(daemon.stderr(), /"apiVersion":"1\.51".*"daemonApiVersion":"1\.52".*Negotiated Docker API version/);
    const urls = engine.requests.map((r) => r.url);
    assert.equal(urls[0], "/version");
    assert.deepEqual(urls.slice(1).filter((u) => !u.startsWith("/v1.51/")), [], "every call after negotiation is versioned 1.51");
    // The state cache's subscription: container events only, by Action (not the removed `status`).
    const filters: unknown = JSON.parse(feed.subscriptions[0]?.query.get("filters") ?? "null");
    assert.deepEqual((filters as { type?: unknown }).type, ["container"]); // an object, parsed just above
    // Docker 29 answers application/json-seq (RS-prefixed records) to a client that prefers it; we read lines.
    assert.ok(!(feed.subscriptions[0]?.headers.accept ?? "").includes("json-seq"));
  });

  it("PodSandboxStatus and ListPodSandbox take the sandbox's IP from NetworkSettings.Networks.bridge", async () => {
    assert.ok(daemon !== undefined);
    const cri = daemon.client();
    const r = (await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: sandbox.id })).status;
    assert.ok(r !== undefined);
    assert.equal(r.id, sandbox.id);
    assert.equal(r.state, PodSandboxState.SANDBOX_READY);
    assert.equal(r.network?.ip, "172.17.0.5");
    assert.deepEqual(r.network.additionalIps, []);
    assert.equal(r.metadata?.name, "web");
    assert.equal(r.labels.app, "web");
    const list = await cri.call(RuntimeService.method.listPodSandbox, {});
    assert.deepEqual(list.items.map((s) => [s.id, s.state, s.metadata?.uid]), [[sandbox.id, PodSandboxState.SANDBOX_READY, uid]]);
  });

  it("ListContainers and ContainerStatus read 1.52 list and inspect answers", async () => {
    assert.ok(daemon !== undefined);
    const cri = daemon.client();
    const list = await cri.call(RuntimeService.method.listContainers, {});
    assert.deepEqual(list.containers.map((c) => [c.id, c.podSandboxId, c.metadata?.name, c.state, c.image?.image, c.imageId]), [
      [app.id, sandbox.id, "app", ContainerState.CONTAINER_CREATED, image, imageId],
    ]);
    const s = (await cri.call(RuntimeService.method.containerStatus, { containerId: app.id })).status;
    assert.ok(s !== undefined);
    assert.equal(s.id, app.id);
    assert.equal(s.state, ContainerState.CONTAINER_CREATED);
    assert.equal(s.metadata?.name, "app");
    assert.equal(s.imageId, imageId);
    assert.equal(s.logPath, app.labels["io.kubernetes.container.logpath"]);
  });

  it("GetContainerEvents turns 1.52 events (Action and Actor only) into CRI events with the pod's IP", async () => {
    assert.ok(daemon !== undefined);
    const sub = subscribeEvents(daemon.socketPath);
    try {
      app = { ...app, status: "running", startedAt: iso(1_000) };
      assert.equal(feed.emit(containerEvent152("start", app, BigInt(now.getTime() + 1_000) * 1_000_000n)), 1);
      const started = await sub.waitFor((e) => e.containerId === app.id && e.containerEventType === ContainerEventType.CONTAINER_STARTED_EVENT, 15_000, "started event");
      const pod = started.podSandboxStatus;
      assert.ok(pod !== undefined);
      assert.equal(pod.id, sandbox.id);
      assert.equal(pod.network?.ip, "172.17.0.5");
      assert.deepEqual(started.containersStatuses.map((c) => [c.id, c.state]), [[app.id, ContainerState.CONTAINER_RUNNING]]);

      app = { ...app, status: "exited", exitCode: 3, finishedAt: iso(2_000) };
      feed.emit(containerEvent152("die", { ...app, labels: { ...app.labels, exitCode: "3" } }, BigInt(now.getTime() + 2_000) * 1_000_000n));
      const stopped = await sub.waitFor((e) => e.containerId === app.id && e.containerEventType === ContainerEventType.CONTAINER_STOPPED_EVENT, 15_000, "stopped event");
      assert.deepEqual(stopped.containersStatuses.map((c) => [c.id, c.state, c.exitCode]), [[app.id, ContainerState.CONTAINER_EXITED, 3]]);
      // The cache followed the events: ContainerStatus agrees without another event.
      const s = (await daemon.client().call(RuntimeService.method.containerStatus, { containerId: app.id })).status;
      assert.ok(s !== undefined);
      assert.equal(s.state, ContainerState.CONTAINER_EXITED);
      assert.equal(s.exitCode, 3);
    } finally {
      sub.close();
    }
  });
});

describe("docker-cri against an engine that no longer accepts API 1.51 (fake engine)", () => {
  it("refuses to start, naming the engine's minimum and our newest version", async () => {
    const engine = await startFakeEngine([], { apiVersion: "1.60", minApiVersion: "1.52", version: "31.0.0-fake" });
    try {
      const r = await runExpectingFailure([`--docker-endpoint=${engine.endpoint}`]);
      assert.equal(r.code, 1);
      assert.equal(
        r.lastLine,
        `docker-cri: failed to start: docker API version 1.51 is not accepted: the daemon at ${engine.endpoint} (Docker 31.0.0-fake) requires at least 1.52, and docker-cri speaks at most 1.51`,
      );
      // Nothing was asked at a version the engine refuses.
      assert.deepEqual(engine.requests.filter((q) => q.url !== "/version").map((q) => q.url), []);
    } finally {
      await engine.close();
    }
  });
});
