/**
 * Shared pieces of the pod networking end-to-end tests: busybox containers joined to a sandbox's
 * network namespace (made directly through Docker, labelled with the run so that cleanup finds
 * them), a sandbox's IPs as PodSandboxStatus reports them, and the daemon's metrics.
 */
import { randomBytes } from "node:crypto";
import { RuntimeService } from "../../src/gen/index.js";
import type { CriClient } from "../kit/cri-client.js";
import { metricsAddressOf, type Daemon } from "../kit/daemon.js";
import { demuxDockerStream, dockerJson, dockerRequest } from "../kit/docker-api.js";
import { BUSYBOX_IMAGE } from "../kit/images.js";
import { field, runLabel, type SandboxRun } from "../kit/sandbox-run.js";

/** Starts busybox running `cmd` in the sandbox's network namespace; returns the container id. */
export async function startInPod(run: SandboxRun, sandboxId: string, cmd: readonly string[]): Promise<string> {
  const created = await dockerJson({
    method: "POST",
    path: "/containers/create",
    query: { name: `docker-cri-test-net-${run.runId}-${randomBytes(3).toString("hex")}` },
    body: { Image: BUSYBOX_IMAGE, Cmd: [...cmd], Labels: { [runLabel]: run.runId }, HostConfig: { NetworkMode: `container:${sandboxId}` } },
  });
  const id = String(field(created, "Id"));
  await dockerJson({ method: "POST", path: `/containers/${id}/start` });
  return id;
}

/** Runs `cmd` in the sandbox's network namespace to its end; returns its exit code and output, and removes it. */
export async function runInPod(run: SandboxRun, sandboxId: string, cmd: readonly string[]): Promise<{ code: number; output: string }> {
  const id = await startInPod(run, sandboxId, cmd);
  try {
    const waited = await dockerJson({ method: "POST", path: `/containers/${id}/wait`, timeoutMs: 60_000 });
    const logs = await dockerRequest({ method: "GET", path: `/containers/${id}/logs`, query: { stdout: "1", stderr: "1" } });
    const { stdout, stderr } = demuxDockerStream(logs.body);
    return { code: Number(field(waited, "StatusCode")), output: stdout + stderr };
  } finally {
    await dockerJson({ method: "DELETE", path: `/containers/${id}`, query: { force: "1" } }).catch(() => undefined);
  }
}

export async function sandboxIps(client: CriClient, id: string): Promise<{ state: number; ips: string[] }> {
  const r = await client.call(RuntimeService.method.podSandboxStatus, { podSandboxId: id });
  const net = r.status?.network;
  const ips = [net?.ip ?? "", ...(net?.additionalIps ?? []).map((i) => i.ip)].filter((ip) => ip !== "");
  return { state: r.status?.state ?? -1, ips };
}

/** The value of one sample of /metrics (0 when absent). */
export async function metricValue(daemon: Daemon, name: string, labels: string): Promise<number> {
  const addr = metricsAddressOf(daemon);
  if (addr === undefined) throw new Error("the daemon logged no metrics address");
  const text = await (await fetch(`http://${addr}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}
