/**
 * Stats and list benchmarks against the Docker calls a shim without a state cache makes:
 *
 * - ListContainerStats with 50 running containers vs one `GET /containers/{id}/stats?stream=false&one-shot=true`
 *   per container (what cri-dockerd does, one after another).
 * - ListContainers and ListPodSandbox on a node of 110 pods with 220 containers (the kubelet's default
 *   max pods, two containers each) vs `GET /containers/json` plus `GET /containers/{id}/json` for each
 *   (a list whose entries need inspect-only fields, as a status-carrying list does).
 *
 * Each case runs its own docker-cri with the local pause image; containers are cheap (pause, sleep)
 * and removed in teardown. Goals: 20× for stats, 10× for lists.
 */
import { randomUUID } from "node:crypto";
import { RuntimeService } from "../src/gen/index.js";
import type { CriClient } from "../test/kit/cri-client.js";
import { startDaemon, type Daemon } from "../test/kit/daemon.js";
import { BUSYBOX_IMAGE, ensureTestImages, PAUSE_IMAGE } from "../test/kit/images.js";
import type { BenchCase, BenchContext } from "./bench.js";
import { pool } from "./bench.js";

const benchLabel = "io.docker-cri.bench.stats";

interface Fleet {
  daemon: Daemon;
  cri: CriClient;
  tag: string;
  pods: string[];
  containers: string[];
}


/** A docker-cri holding `pods` pods with `perPod` running containers each, all labelled with the tag. */
async function startFleet(ctx: BenchContext, tag: string, pods: number, perPod: number): Promise<Fleet> {
  await ensureTestImages();
  const daemon = await startDaemon({ args: ["--log-level=warn", `--pod-infra-container-image=${PAUSE_IMAGE}`] });
  const cri = daemon.client();
  const fleet: Fleet = { daemon, cri, tag, pods: [], containers: [] };
  const labels = { [benchLabel]: `${ctx.runId}-${tag}` };
  await pool(Array.from({ length: pods }, (_, i) => i), 8, async (i) => {
    const config = { metadata: { name: `bench-${tag}-${i}`, namespace: "docker-cri-bench", uid: randomUUID(), attempt: 0 }, labels };
    const { podSandboxId } = await cri.call(RuntimeService.method.runPodSandbox, { config }, { deadlineMs: 120_000 });
    fleet.pods.push(podSandboxId);
    for (let c = 0; c < perPod; c++) {
      const { containerId } = await cri.call(RuntimeService.method.createContainer, {
        podSandboxId,
        sandboxConfig: config,
        config: { metadata: { name: `c${c}`, attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: ["sleep", "3600"], labels },
      }, { deadlineMs: 120_000 });
      await cri.call(RuntimeService.method.startContainer, { containerId }, { deadlineMs: 120_000 });
      fleet.containers.push(containerId);
    }
  });
  return fleet;
}

async function stopFleet(ctx: BenchContext, fleet: Fleet | undefined, tag: string): Promise<void> {
  if (fleet !== undefined) {
    await pool(fleet.pods, 8, async (podSandboxId) => {
      await fleet.cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId }, { deadlineMs: 120_000 }).catch(() => undefined);
      await fleet.cri.call(RuntimeService.method.removePodSandbox, { podSandboxId }, { deadlineMs: 120_000 }).catch(() => undefined);
    });
    await fleet.daemon.stop();
    await fleet.daemon.cleanup();
  }
  // Whatever is left under the tag (a failed setup), removed directly.
  const res = await ctx.docker.request({ operation: "list_containers", method: "GET", path: "/containers/json", query: { all: true, filters: { label: [`${benchLabel}=${ctx.runId}-${tag}`] } } });
  const left: unknown[] = Array.isArray(res.body) ? res.body : [];
  for (const c of left) {
    const id: unknown = typeof c === "object" && c !== null ? Reflect.get(c, "Id") : undefined;
    if (typeof id === "string") await ctx.docker.request({ operation: "remove_container", method: "DELETE", path: `/containers/${id}`, query: { force: true, v: true } }).catch(() => undefined);
  }
}

function need(fleet: Fleet | undefined): Fleet {
  if (fleet === undefined) throw new Error("no fleet");
  return fleet;
}

async function directListInspect(ctx: BenchContext, tag: string, type: string): Promise<number> {
  const res = await ctx.docker.request({
    operation: "list_containers", method: "GET", path: "/containers/json",
    query: { all: true, filters: { label: [`io.kubernetes.docker.type=${type}`, `${benchLabel}=${ctx.runId}-${tag}`] } },
  });
  const items: unknown[] = Array.isArray(res.body) ? res.body : [];
  for (const c of items) {
    const id: unknown = typeof c === "object" && c !== null ? Reflect.get(c, "Id") : undefined;
    if (typeof id === "string") await ctx.docker.request({ operation: "inspect_container", method: "GET", path: `/containers/${id}/json` });
  }
  return items.length;
}

let statsFleet: Fleet | undefined;
let listFleet: Fleet | undefined;

export const cases: BenchCase[] = [
  {
    name: "Stats: ListContainerStats 50",
    description: "ListContainerStats of 50 running containers vs one Docker one-shot stats call per container",
    // Docker's one-shot stats take up to a second per container on a busy host: few iterations.
    iterations: 3,
    async setup(ctx) {
      statsFleet = await startFleet(ctx, "stats", 10, 5);
    },
    async shim(ctx) {
      const f = need(statsFleet);
      const r = await f.cri.call(RuntimeService.method.listContainerStats, { filter: { labelSelector: { [benchLabel]: `${ctx.runId}-stats` } } });
      if (r.stats.length !== 50 || r.stats.some((s) => s.memory?.workingSetBytes === undefined)) throw new Error(`got ${r.stats.length} stats`);
    },
    async direct(ctx) {
      for (const id of need(statsFleet).containers) {
        await ctx.docker.request({ operation: "stats", method: "GET", path: `/containers/${id}/stats`, query: { stream: false, "one-shot": true } });
      }
    },
    async teardown(ctx) {
      await stopFleet(ctx, statsFleet, "stats");
      statsFleet = undefined;
    },
  },
  {
    name: "Stats: ListContainers 220 vs list+inspect",
    description: "ListContainers by label on 110 pods / 220 containers vs GET /containers/json + inspect of each",
    iterations: 10,
    async setup(ctx) {
      listFleet = await startFleet(ctx, "list", 110, 2);
    },
    async shim(ctx) {
      const r = await need(listFleet).cri.call(RuntimeService.method.listContainers, { filter: { labelSelector: { [benchLabel]: `${ctx.runId}-list` } } });
      if (r.containers.length !== 220) throw new Error(`listed ${r.containers.length} containers`);
    },
    async direct(ctx) {
      if ((await directListInspect(ctx, "list", "container")) !== 220) throw new Error("direct list is not 220");
    },
  },
  {
    name: "Stats: ListPodSandbox 110 vs list+inspect",
    description: "ListPodSandbox by label on the same node (220 containers) vs GET /containers/json + inspect of each sandbox",
    iterations: 10,
    async shim(ctx) {
      const r = await need(listFleet).cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: { [benchLabel]: `${ctx.runId}-list` } } });
      if (r.items.length !== 110) throw new Error(`listed ${r.items.length} sandboxes`);
    },
    async direct(ctx) {
      if ((await directListInspect(ctx, "list", "podsandbox")) !== 110) throw new Error("direct list is not 110");
    },
    async teardown(ctx) {
      await stopFleet(ctx, listFleet, "list");
      listFleet = undefined;
    },
  },
];
