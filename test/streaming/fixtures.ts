/**
 * Containers for the streaming tests, created straight through the Docker API (test/kit/docker-api)
 * from the local test busybox image, named and labelled with this run's id so that only our own are
 * ever removed.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { repoRoot } from "../kit/daemon.js";
import { dockerJson, dockerRequest } from "../kit/docker-api.js";
import { BUSYBOX_IMAGE } from "../kit/images.js";

export const runId = randomBytes(4).toString("hex");
export const RUN_LABEL = "io.docker-cri.test.streaming-run";

export interface ContainerOptions {
  readonly name: string;
  readonly cmd: readonly string[];
  readonly tty?: boolean;
  readonly openStdin?: boolean;
  /** No network but loopback, with IPv6 enabled on it (Docker turns IPv6 off in containers by default). */
  readonly loopbackWithIpv6?: boolean;
  /** Create only. */
  readonly start?: boolean;
  /**
   * What docker-cri should take it for (its `io.kubernetes.docker.type` label): Exec and Attach accept
   * only app containers, PortForward only pod sandboxes. Default "container".
   */
  readonly kind?: "container" | "podsandbox";
}

const created: string[] = [];

export async function createContainer(opts: ContainerOptions): Promise<string> {
  const body = await dockerJson({
    method: "POST",
    path: "/containers/create",
    query: { name: `docker-cri-test-streaming-${opts.name}-${runId}` },
    body: {
      Image: BUSYBOX_IMAGE,
      Cmd: opts.cmd,
      Tty: opts.tty ?? false,
      OpenStdin: opts.openStdin ?? false,
      AttachStdin: false,
      Labels: { [RUN_LABEL]: runId, "io.kubernetes.docker.type": opts.kind ?? "container" },
      HostConfig: opts.loopbackWithIpv6 === true
        ? { NetworkMode: "none", Sysctls: { "net.ipv6.conf.all.disable_ipv6": "0", "net.ipv6.conf.lo.disable_ipv6": "0" } }
        : { NetworkMode: "none" },
    },
  });
  const id: unknown = typeof body === "object" && body !== null ? Reflect.get(body, "Id") : undefined;
  if (typeof id !== "string") throw new Error(`container create answered ${JSON.stringify(body)}`);
  created.push(id);
  if (opts.start !== false) await dockerJson({ method: "POST", path: `/containers/${id}/start` });
  return id;
}

/** Removes every container this process created. */
export async function removeContainers(): Promise<void> {
  const ids = created.splice(0);
  await Promise.all(ids.map((id) => dockerRequest({ method: "DELETE", path: `/containers/${id}`, query: { force: true } })));
}

/** Builds the port-forward addon the daemon loads (what `npm run build` does). */
export function buildNetnsAddon(): void {
  const res = spawnSync(process.execPath, [join(repoRoot, "scripts", "build-addons.mjs"), "netns-connect"], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`building the netns addon failed: ${res.stderr}`);
}
