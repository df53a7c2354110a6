/**
 * Streaming: exec round-trip latency and port-forward throughput through docker-cri (CRI call, then
 * SPDY to the streaming server, the kubelet's path) against the same work done directly on dockerd
 * with its exec API (what a shim without a streaming server of its own, or `docker exec`, does).
 */
import { StdFrameParser, type DockerTransport } from "../src/docker/index.js";
import { RuntimeService } from "../src/gen/index.js";
import { BUSYBOX_IMAGE } from "../test/kit/images.js";
import { buildNetnsAddon } from "../test/streaming/fixtures.js";
import { openRemoteCommand } from "../test/kit/remote-command-client.js";
import { spdyUpgrade } from "../test/kit/spdy-client.js";
import type { BenchCase, BenchContext } from "./bench.js";

const LABEL = "io.docker-cri.bench.streaming-run";
const bigBytes = 8 * 1024 * 1024;
const ids: { exec?: string; pod?: string } = {};

/** `kind` is the io.kubernetes.docker.type docker-cri checks: Exec takes app containers, PortForward sandboxes. */
async function createStarted(docker: DockerTransport, runId: string, name: string, cmd: string[], kind: "container" | "podsandbox"): Promise<string> {
  const res = await docker.request({
    operation: "create_container",
    method: "POST",
    path: "/containers/create",
    query: { name: `docker-cri-bench-${name}-${runId}` },
    body: { Image: BUSYBOX_IMAGE, Cmd: cmd, Labels: { [LABEL]: runId, "io.kubernetes.docker.type": kind }, HostConfig: { NetworkMode: "none" } },
  });
  const id: unknown = typeof res.body === "object" && res.body !== null ? Reflect.get(res.body, "Id") : undefined;
  if (typeof id !== "string") throw new Error("container create answered no Id");
  await docker.request({ operation: "start_container", method: "POST", path: `/containers/${id}/start` });
  return id;
}

async function remove(docker: DockerTransport, id: string | undefined): Promise<void> {
  if (id !== undefined) await docker.request({ operation: "remove_container", method: "DELETE", path: `/containers/${id}`, query: { force: true } });
}

/** Runs `cmd` through Docker's exec API directly: create, start (hijacked), read the output to its end, inspect. */
async function dockerExec(docker: DockerTransport, containerId: string, cmd: string[], stdin?: Buffer): Promise<number> {
  const created = await docker.request({
    operation: "create_exec",
    method: "POST",
    path: `/containers/${containerId}/exec`,
    body: { AttachStdin: stdin !== undefined, AttachStdout: true, AttachStderr: true, Tty: false, Cmd: cmd },
  });
  const execId: unknown = typeof created.body === "object" && created.body !== null ? Reflect.get(created.body, "Id") : undefined;
  if (typeof execId !== "string") throw new Error("exec create answered no Id");
  const h = await docker.hijack({ operation: "start_exec", method: "POST", path: `/exec/${execId}/start`, body: { Detach: false, Tty: false } });
  if (stdin !== undefined) h.socket.write(stdin);
  const parser = new StdFrameParser();
  let bytes = 0;
  for (const f of parser.push(h.head)) bytes += f.payload.length;
  for await (const chunk of h.socket) {
    if (Buffer.isBuffer(chunk)) for (const f of parser.push(chunk)) bytes += f.payload.length;
  }
  await docker.request({ operation: "inspect_exec", method: "GET", path: `/exec/${execId}/json` });
  return bytes;
}

const httpGetBig = Buffer.from("GET /big HTTP/1.0\r\n\r\n");

export const cases: BenchCase[] = [
  {
    name: "Exec round-trip",
    description: "CRI Exec + SPDY session running `true` vs exec create/start/inspect on dockerd",
    iterations: 40,
    async setup(ctx: BenchContext) {
      ids.exec = await createStarted(ctx.docker, ctx.runId, "exec", ["sleep", "3600"], "container");
    },
    async shim({ cri }) {
      const { url } = await cri.call(RuntimeService.method.exec, { containerId: ids.exec ?? "", cmd: ["true"], stdout: true });
      const cmd = await openRemoteCommand(url, { stdout: true });
      await cmd.done();
    },
    async direct({ docker }) {
      await dockerExec(docker, ids.exec ?? "", ["true"]);
    },
    async teardown({ docker }) {
      await remove(docker, ids.exec);
    },
  },
  {
    name: "PortForward 8 MiB",
    description: "8 MiB HTTP download from a pod over CRI PortForward (SPDY) vs through `nc` in a docker exec",
    iterations: 10,
    async setup(ctx: BenchContext) {
      buildNetnsAddon();
      ids.pod = await createStarted(ctx.docker, ctx.runId, "pod", ["sh", "-c", `mkdir /w && head -c ${bigBytes} /dev/urandom > /w/big && httpd -p 127.0.0.1:8080 -h /w && exec sleep 3600`], "podsandbox");
      await new Promise((r) => setTimeout(r, 1000));
    },
    async shim({ cri }) {
      const { url } = await cri.call(RuntimeService.method.portForward, { podSandboxId: ids.pod ?? "" });
      const up = await spdyUpgrade(url, ["portforward.k8s.io"]);
      const client = up.client;
      if (client === undefined) throw new Error(`port forward upgrade failed: ${up.status}`);
      const error = await client.openStream({ streamType: "error", port: "8080", requestID: "0" });
      error.end();
      const data = await client.openStream({ streamType: "data", port: "8080", requestID: "0" });
      data.write(httpGetBig);
      data.end();
      await data.ended;
      if (data.data().length < bigBytes) throw new Error(`short download: ${data.data().length} bytes`);
      client.destroy();
    },
    async direct({ docker }) {
      const bytes = await dockerExec(docker, ids.pod ?? "", ["nc", "127.0.0.1", "8080"], httpGetBig);
      if (bytes < bigBytes) throw new Error(`short download: ${bytes} bytes`);
    },
    async teardown({ docker }) {
      await remove(docker, ids.pod);
    },
  },
];
