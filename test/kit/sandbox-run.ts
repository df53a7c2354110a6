/**
 * A sandbox run, for every suite that drives pods on the real dockerd (e2e, chaos, ops, soak): a
 * docker-cri with the test pause image, pod configs that carry a per-run label (other engineers'
 * tests use the same dockerd at the same time, so these tests only ever list, inspect or remove what
 * carries it), and direct Docker access for assertions behind docker-cri's back.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { RuntimeService, type PodSandboxConfig, type PodSandboxConfigSchema } from "../../src/gen/index.js";
import type { CriClient } from "./cri-client.js";
import { startDaemon, type Daemon, type DaemonOptions } from "./daemon.js";
import { DockerApiError, dockerJson, isRecord } from "./docker-api.js";
import { ensureTestImages, PAUSE_IMAGE } from "./images.js";

export const runLabel = "io.docker-cri.test.sandbox-run";

/** A pod config as a plain init object (not a message), so tests can spread and merge them. */
export type PodInit = Exclude<MessageInitShape<typeof PodSandboxConfigSchema>, PodSandboxConfig>;

export interface SandboxRun {
  /** Unique per test file run. */
  readonly runId: string;
  /** Label selector matching everything this run created. */
  readonly selector: Record<string, string>;
  /** A pod config with fresh metadata and the run label; `over` is merged in. */
  pod(name: string, over?: PodInit): PodInit;
}

export function newRun(): SandboxRun {
  const runId = randomBytes(4).toString("hex");
  const selector = { [runLabel]: runId };
  return {
    runId,
    selector,
    pod(name, over = {}) {
      return {
        metadata: { name: `${name}-${runId}`, namespace: "docker-cri-test", uid: randomUUID(), attempt: 0 },
        ...over,
        labels: { ...selector, ...(over.labels ?? {}) },
      };
    },
  };
}

export async function startSandboxDaemon(opts: DaemonOptions = {}): Promise<Daemon> {
  await ensureTestImages();
  return startDaemon({ ...opts, args: [`--pod-infra-container-image=${PAUSE_IMAGE}`, ...(opts.args ?? [])] });
}

export async function runSandbox(client: CriClient, config: PodInit, runtimeHandler = ""): Promise<string> {
  const r = await client.call(RuntimeService.method.runPodSandbox, { config, runtimeHandler }, { deadlineMs: 60_000 });
  return r.podSandboxId;
}

/** `GET /containers/{id}/json` behind docker-cri's back; undefined when Docker has no such container. */
export async function inspect(id: string): Promise<Record<string, unknown> | undefined> {
  try {
    const body = await dockerJson({ method: "GET", path: `/containers/${id}/json` });
    return isRecord(body) ? body : undefined;
  } catch (err) {
    if (err instanceof DockerApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** A nested field of an inspect answer, e.g. field(c, "State", "Pid"). */
export function field(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) cur = isRecord(cur) ? cur[key] : undefined;
  return cur;
}

/** Ids of the Docker containers (all states) carrying this run's label. */
export async function runContainers(run: SandboxRun): Promise<string[]> {
  const body = await dockerJson({ method: "GET", path: "/containers/json", query: { all: "1", filters: JSON.stringify({ label: [`${runLabel}=${run.runId}`] }) } });
  return Array.isArray(body) ? body.map((c) => String(field(c, "Id"))) : [];
}

/** Safety net for after(): force-removes whatever this run left behind in Docker. */
export async function removeRunContainers(run: SandboxRun): Promise<void> {
  for (const id of await runContainers(run)) {
    await dockerJson({ method: "DELETE", path: `/containers/${id}`, query: { force: "1", v: "1" } }).catch(() => undefined);
  }
}

/** Creates and starts an app container of the pod directly through Docker, labelled as docker-cri's would be. */
export async function startAppContainer(run: SandboxRun, sandboxId: string, image: string): Promise<string> {
  const created = await dockerJson({
    method: "POST",
    path: "/containers/create",
    query: { name: `docker-cri-test-app-${run.runId}-${randomBytes(3).toString("hex")}` },
    body: {
      Image: image,
      Cmd: ["sleep", "600"],
      Labels: { [runLabel]: run.runId, "io.kubernetes.docker.type": "container", "io.kubernetes.sandbox.id": sandboxId },
      HostConfig: { NetworkMode: `container:${sandboxId}`, IpcMode: `container:${sandboxId}` },
    },
  });
  const id = String(field(created, "Id"));
  await dockerJson({ method: "POST", path: `/containers/${id}/start` });
  return id;
}
