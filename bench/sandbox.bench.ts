/**
 * Pod sandbox benchmarks: the lifecycle (run, status, stop, remove) and ListPodSandbox with 110
 * sandboxes (the kubelet's default max pods), each against the equivalent direct Docker calls.
 * Each case runs its own docker-cri with the locally built pause image (the runner's default would
 * try to pull registry.k8s.io/pause, and this machine has no registry access).
 */
import { randomUUID } from "node:crypto";
import { RuntimeService } from "../src/gen/index.js";
import type { CriClient } from "../test/kit/cri-client.js";
import { startDaemon, type Daemon } from "../test/kit/daemon.js";
import { ensureTestImages, PAUSE_IMAGE } from "../test/kit/images.js";
import type { BenchCase, BenchContext } from "./bench.js";
import { pool } from "./bench.js";

const benchLabel = "io.docker-cri.bench.sandbox";
const listSize = 110;

interface Own {
  daemon: Daemon;
  cri: CriClient;
}

async function ownDaemon(): Promise<Own> {
  await ensureTestImages();
  const daemon = await startDaemon({ args: ["--log-level=warn", `--pod-infra-container-image=${PAUSE_IMAGE}`] });
  return { daemon, cri: daemon.client() };
}

async function stopOwn(own: Own | undefined): Promise<void> {
  if (own === undefined) return;
  await own.daemon.stop();
  await own.daemon.cleanup();
}

function podConfig(ctx: BenchContext, tag: string) {
  return {
    metadata: { name: `bench-${tag}`, namespace: "docker-cri-bench", uid: randomUUID(), attempt: 0 },
    labels: { [benchLabel]: `${ctx.runId}-${tag}` },
  };
}

/** The direct side's container: what a minimal shim would ask Docker for a pause container. */
function directBody(ctx: BenchContext, tag: string): Record<string, unknown> {
  return {
    Image: PAUSE_IMAGE,
    Labels: { [benchLabel]: `${ctx.runId}-${tag}`, "io.kubernetes.docker.type": "podsandbox" },
    HostConfig: { NetworkMode: "default", IpcMode: "shareable", SecurityOpt: ["no-new-privileges"], CpuShares: 2 },
  };
}

function idOf(body: unknown): string {
  const id: unknown = typeof body === "object" && body !== null ? Reflect.get(body, "Id") : undefined;
  if (typeof id !== "string") throw new Error("Docker create returned no Id");
  return id;
}

/** Removes whatever a case left in Docker under its label (both sides). */
async function sweep(ctx: BenchContext, tag: string): Promise<void> {
  const res = await ctx.docker.request({
    operation: "list_containers", method: "GET", path: "/containers/json",
    query: { all: true, filters: { label: [`${benchLabel}=${ctx.runId}-${tag}`] } },
  });
  for (const c of Array.isArray(res.body) ? res.body : []) {
    await ctx.docker.request({ operation: "remove_container", method: "DELETE", path: `/containers/${idOf(c)}`, query: { force: true, v: true } }).catch(() => undefined);
  }
}

/** Runs `fn` over `items` with at most `width` at a time. */

/** A docker-cri holding `listSize` sandboxes labelled with the case's tag. */
interface Listing extends Own {
  readonly tag: string;
  readonly ids: string[];
}

async function startListing(ctx: BenchContext, tag: string): Promise<Listing> {
  const own = await ownDaemon();
  const ids: string[] = [];
  await pool(Array.from({ length: listSize }, (_, i) => i), 8, async () => {
    const { podSandboxId } = await own.cri.call(RuntimeService.method.runPodSandbox, { config: podConfig(ctx, tag) });
    ids.push(podSandboxId);
  });
  return { ...own, tag, ids };
}

async function stopListing(ctx: BenchContext, listing: Listing | undefined, tag: string): Promise<void> {
  if (listing !== undefined) {
    await pool(listing.ids, 8, async (podSandboxId) => {
      await listing.cri.call(RuntimeService.method.removePodSandbox, { podSandboxId });
    });
    await stopOwn(listing);
  }
  await sweep(ctx, tag);
}

async function listThroughCri(ctx: BenchContext, listing: Listing | undefined): Promise<void> {
  if (listing === undefined) throw new Error("no daemon");
  const r = await listing.cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: { [benchLabel]: `${ctx.runId}-${listing.tag}` } } });
  if (r.items.length !== listSize) throw new Error(`listed ${r.items.length} sandboxes, expected ${listSize}`);
}

async function listDirect(ctx: BenchContext, tag: string): Promise<unknown[]> {
  const res = await ctx.docker.request({
    operation: "list_containers", method: "GET", path: "/containers/json",
    query: { all: true, filters: { label: [`${benchLabel}=${ctx.runId}-${tag}`, "io.kubernetes.docker.type=podsandbox"] } },
  });
  if (!Array.isArray(res.body)) return [];
  const items: unknown[] = res.body;
  return items;
}

let lifecycle: Own | undefined;
let list1: Listing | undefined;
let list2: Listing | undefined;

export const cases: BenchCase[] = [
  {
    name: "Sandbox lifecycle",
    description: "Run+Status+Stop+Remove PodSandbox vs create+start+inspect+stop+remove",
    iterations: 10,
    async setup() {
      lifecycle = await ownDaemon();
    },
    async shim(ctx) {
      const cri = lifecycle?.cri;
      if (cri === undefined) throw new Error("no daemon");
      const { podSandboxId } = await cri.call(RuntimeService.method.runPodSandbox, { config: podConfig(ctx, "life") });
      await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId });
      await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId });
      await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId });
    },
    async direct(ctx) {
      const created = await ctx.docker.request({
        operation: "create_container", method: "POST", path: "/containers/create",
        query: { name: `bench-direct-${ctx.runId}-${randomUUID().slice(0, 8)}` }, body: directBody(ctx, "life"),
      });
      const id = idOf(created.body);
      await ctx.docker.request({ operation: "start_container", method: "POST", path: `/containers/${id}/start` });
      await ctx.docker.request({ operation: "inspect_container", method: "GET", path: `/containers/${id}/json` });
      await ctx.docker.request({ operation: "stop_container", method: "POST", path: `/containers/${id}/stop`, query: { t: 10 } });
      await ctx.docker.request({ operation: "remove_container", method: "DELETE", path: `/containers/${id}`, query: { force: true, v: true } });
    },
    async teardown(ctx) {
      await stopOwn(lifecycle);
      lifecycle = undefined;
      await sweep(ctx, "life");
    },
  },
  {
    name: `ListPodSandbox ${listSize}`,
    description: `ListPodSandbox by label with ${listSize} sandboxes vs GET /containers/json with the same label filter`,
    iterations: 50,
    async setup(ctx) {
      list1 = await startListing(ctx, "list1");
    },
    async shim(ctx) {
      await listThroughCri(ctx, list1);
    },
    async direct(ctx) {
      await listDirect(ctx, "list1");
    },
    async teardown(ctx) {
      await stopListing(ctx, list1, "list1");
      list1 = undefined;
    },
  },
  {
    name: `ListPodSandbox ${listSize} vs list+inspect`,
    description: `the same ListPodSandbox vs GET /containers/json plus GET /containers/{id}/json for each of the ${listSize}`,
    iterations: 10,
    async setup(ctx) {
      list2 = await startListing(ctx, "list2");
    },
    async shim(ctx) {
      await listThroughCri(ctx, list2);
    },
    async direct(ctx) {
      for (const c of await listDirect(ctx, "list2")) {
        await ctx.docker.request({ operation: "inspect_container", method: "GET", path: `/containers/${idOf(c)}/json` });
      }
    },
    async teardown(ctx) {
      await stopListing(ctx, list2, "list2");
      list2 = undefined;
    },
  },
];
