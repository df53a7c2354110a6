/**
 * --container-runtime=remote: docker-cri as a transparent CRI proxy. Against a second docker-cri as
 * the remote for what a real runtime answers (bytes compared with a direct call), and against a small
 * scripted gRPC server where the remote's side must be observed: the deadline and metadata it
 * receives, its cancellation, trailers, and a stream large enough to need backpressure.
 */
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  Client,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type ServiceError,
  type StatusObject,
} from "@grpc/grpc-js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ImageService, RuntimeService, StreamImagesRequestSchema, StatusRequestSchema, VersionRequestSchema, CheckpointPodRequestSchema } from "../../src/gen/index.js";
import { isGrpcError } from "../kit/cri-client.js";
import { metricsAddressOf, runExpectingFailure, startDaemon, type Daemon } from "../kit/daemon.js";
import { BUSYBOX_IMAGE, ensureTestImages } from "../kit/images.js";
import { waitFor } from "../kit/wait-for.js";

const runtimePath = (name: string): string => `/${RuntimeService.typeName}/${name}`;
const imagePath = (name: string): string => `/${ImageService.typeName}/${name}`;
const identity = (b: Buffer): Buffer => b;

/** A raw gRPC client over a unix socket: bytes in, bytes out, with metadata, headers and trailers. */
function rawClient(socketPath: string): Client {
  return new Client(`unix://${socketPath}`, credentials.createInsecure(), { "grpc.max_receive_message_length": 16 * 1024 * 1024 });
}

interface UnaryOutcome {
  readonly reply: Buffer | undefined;
  readonly error: ServiceError | undefined;
  readonly headers: Metadata | undefined;
  readonly trailers: Metadata;
}

function unary(client: Client, path: string, request: Uint8Array, opts: { metadata?: Metadata; deadlineMs?: number } = {}): Promise<UnaryOutcome> {
  return new Promise((resolve) => {
    let reply: Buffer | undefined;
    let error: ServiceError | undefined;
    let headers: Metadata | undefined;
    const call = client.makeUnaryRequest(path, identity, identity, Buffer.from(request), opts.metadata ?? new Metadata(), { deadline: Date.now() + (opts.deadlineMs ?? 30_000) }, (err: ServiceError | null, value?: Buffer) => {
      reply = value;
      error = err ?? undefined;
    });
    call.on("metadata", (md: Metadata) => { headers = md; });
    call.on("status", (st: StatusObject) => { resolve({ reply, error, headers, trailers: st.metadata }); });
  });
}

interface StreamOutcome {
  readonly chunks: Buffer[];
  readonly code: status;
  readonly details: string;
  readonly trailers: Metadata;
}

/**
 * Collects a server stream's messages and its status. grpc-js reports the status as soon as it arrives,
 * before messages still buffered in a paused stream: the outcome is taken once the stream has ended
 * too (or at the status when the call was cancelled, which ends nothing). `readPauseMs` pauses the
 * stream that long after each message: a slow reader, so backpressure reaches the server.
 */
function serverStream(client: Client, path: string, request: Uint8Array, opts: { deadlineMs?: number; cancelAfterChunks?: number; readPauseMs?: number } = {}): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let ended = false;
    let st: StatusObject | undefined;
    const settle = (): void => {
      if (st !== undefined && (ended || st.code !== status.OK)) resolve({ chunks, code: st.code, details: st.details, trailers: st.metadata });
    };
    const call = client.makeServerStreamRequest(path, identity, identity, Buffer.from(request), new Metadata(), { deadline: Date.now() + (opts.deadlineMs ?? 30_000) });
    call.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (opts.cancelAfterChunks !== undefined && chunks.length === opts.cancelAfterChunks) call.cancel();
      if (opts.readPauseMs !== undefined) {
        call.pause();
        setTimeout(() => call.resume(), opts.readPauseMs);
      }
    });
    call.on("end", () => { ended = true; settle(); });
    call.on("error", () => undefined);
    call.on("status", (received: StatusObject) => { st = received; settle(); });
  });
}

async function metricsText(d: Daemon): Promise<string> {
  const addr = metricsAddressOf(d);
  assert.ok(addr !== undefined, "the proxy serves metrics");
  return (await fetch(`http://${addr}/metrics`)).text();
}

function counter(text: string, method: string, code: string): number {
  const m = new RegExp(`^docker_cri_rpc_requests_total\\{method="${method}",code="${code}"\\} (\\d+)$`, "m").exec(text);
  return m?.[1] === undefined ? 0 : Number(m[1]);
}

describe("remote mode against a second docker-cri", () => {
  let remote: Daemon;
  let proxy: Daemon;
  let direct: Client;
  let proxied: Client;

  before(async () => {
    await ensureTestImages();
    remote = await startDaemon({ args: ["--log-level=debug"] });
    proxy = await startDaemon({ args: ["--container-runtime=remote", `--remote-runtime-endpoint=unix://${remote.socketPath}`, "--log-level=debug"] });
    direct = rawClient(remote.socketPath);
    proxied = rawClient(proxy.socketPath);
  });
  after(async () => {
    direct.close();
    proxied.close();
    assert.equal(await proxy.stop(), 0);
    await proxy.cleanup();
    assert.equal(await remote.stop(), 0);
    await remote.cleanup();
  });

  it("forwards Version and Status byte for byte", async () => {
    const version = toBinary(VersionRequestSchema, create(VersionRequestSchema, { version: "v1" }));
    const [a, b] = [await unary(direct, runtimePath("Version"), version), await unary(proxied, runtimePath("Version"), version)];
    assert.equal(a.error, undefined);
    assert.ok(a.reply !== undefined && a.reply.length > 0);
    assert.deepEqual(b.reply, a.reply);

    const st = toBinary(StatusRequestSchema, create(StatusRequestSchema, {}));
    const [c, d] = [await unary(direct, runtimePath("Status"), st), await unary(proxied, runtimePath("Status"), st)];
    assert.equal(d.error, undefined);
    assert.deepEqual(d.reply, c.reply);
  });

  it("passes an Unimplemented status through unchanged", async () => {
    const req = toBinary(CheckpointPodRequestSchema, create(CheckpointPodRequestSchema, { podSandboxId: "x" }));
    const [a, b] = [await unary(direct, runtimePath("CheckpointPod"), req), await unary(proxied, runtimePath("CheckpointPod"), req)];
    assert.ok(isGrpcError(a.error, status.UNIMPLEMENTED, "CheckpointPod"));
    assert.equal(b.error?.code, a.error?.code);
    assert.equal(b.error?.details, a.error?.details);
  });

  it("forwards a server-streaming RPC (StreamImages) message for message", async () => {
    const req = toBinary(StreamImagesRequestSchema, create(StreamImagesRequestSchema, { filter: { image: { image: BUSYBOX_IMAGE } } }));
    const [a, b] = [await serverStream(direct, imagePath("StreamImages"), req), await serverStream(proxied, imagePath("StreamImages"), req)];
    assert.equal(b.code, a.code, b.details);
    assert.equal(b.details, a.details);
    assert.deepEqual(b.chunks, a.chunks);
    if (a.code === status.OK) assert.ok(a.chunks.length > 0 && a.chunks.some((c) => c.includes(Buffer.from(BUSYBOX_IMAGE))), "the stream carries the test image");
  });

  it("counts and logs each forwarded call under our own request id", async () => {
    const text = await metricsText(proxy);
    assert.ok(counter(text, "Version", "OK") >= 1, text);
    assert.ok(counter(text, "CheckpointPod", "Unimplemented") >= 1);
    assert.ok(counter(text, "StreamImages", "OK") + counter(text, "StreamImages", "Unimplemented") >= 1);
    const line = proxy.stderr().split("\n").find((l) => l.includes('"msg":"Version succeeded (forwarded)"'));
    assert.ok(line !== undefined, proxy.stderr());
    assert.match(line, /"rpc":"Version","requestId":"[0-9a-f]{6}-[0-9a-z]+","remote":"unix:\/\/[^"]+"/);
    assert.match(line, /"durationMs":[\d.]+,"code":"OK"/);
    assert.match(proxy.stderr(), /"msg":"Serving CRI as a proxy to the remote runtime"/);
    // The proxy never talks to Docker.
    assert.doesNotMatch(text, /^docker_operations_total\{/m);
  });
});

/** The remote's side of each call, as the scripted server saw it. */
interface Seen {
  metadata?: Metadata;
  deadline?: number;
  cancelled?: boolean;
}

async function startScriptedRemote(): Promise<{ socketPath: string; seen: Map<string, Seen>; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "docker-cri-fake-remote-"));
  const socketPath = join(dir, "remote.sock");
  const seen = new Map<string, Seen>();
  const server = new Server();
  const def = (name: string, responseStream: boolean): ServiceDefinition[string] => ({
    path: runtimePath(name), requestStream: false, responseStream,
    requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
  });
  const record = (name: string, call: ServerUnaryCall<Buffer, Buffer> | ServerWritableStream<Buffer, Buffer>): Seen => {
    const deadline = call.getDeadline();
    const s: Seen = { metadata: call.metadata, deadline: deadline instanceof Date ? deadline.getTime() : deadline, cancelled: false };
    call.on("cancelled", () => { s.cancelled = true; });
    seen.set(name, s);
    return s;
  };
  server.addService(
    { Version: def("Version", false), Status: def("Status", false), ListContainers: def("ListContainers", false), GetContainerEvents: def("GetContainerEvents", true), StreamContainers: def("StreamContainers", true) },
    {
      // Echoes the request reversed, with a header and a trailer.
      Version(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) {
        record("Version", call);
        const headers = new Metadata();
        headers.set("x-remote-header", "h1");
        call.sendMetadata(headers);
        const trailers = new Metadata();
        trailers.set("x-remote-trailer", "t1");
        callback(null, Buffer.from(call.request).reverse(), trailers);
      },
      // Never answers: the deadline must end it.
      Status(call: ServerUnaryCall<Buffer, Buffer>) {
        record("Status", call);
      },
      ListContainers(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) {
        record("ListContainers", call);
        const trailers = new Metadata();
        trailers.set("x-why", "scripted");
        callback({ code: status.NOT_FOUND, details: 'Pod sandbox "p1" not found', metadata: trailers });
      },
      // 200 messages of 64 KiB, each filled with its index: 12.5 MiB, more than any buffer in between.
      GetContainerEvents(call: ServerWritableStream<Buffer, Buffer>) {
        record("GetContainerEvents", call);
        let i = 0;
        const pump = (): void => {
          while (i < 200) {
            const ok = call.write(Buffer.alloc(64 * 1024, i % 256));
            i++;
            if (!ok) {
              call.once("drain", pump);
              return;
            }
          }
          const trailers = new Metadata();
          trailers.set("x-count", "200");
          call.end(trailers);
        };
        pump();
      },
      // One message every 50 ms until cancelled.
      StreamContainers(call: ServerWritableStream<Buffer, Buffer>) {
        const s = record("StreamContainers", call);
        const timer = setInterval(() => {
          if (s.cancelled === true) clearInterval(timer);
          else call.write(Buffer.from("tick"));
        }, 50);
      },
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) => { if (err === null) resolve(); else reject(err); });
  });
  return {
    socketPath,
    seen,
    async close() {
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe("remote mode against a scripted remote", () => {
  let remote: Awaited<ReturnType<typeof startScriptedRemote>>;
  let proxy: Daemon;
  let client: Client;

  before(async () => {
    remote = await startScriptedRemote();
    proxy = await startDaemon({ args: ["--container-runtime=remote", `--remote-runtime-endpoint=${remote.socketPath}`, "--log-level=debug"] });
    client = rawClient(proxy.socketPath);
  });
  after(async () => {
    client.close();
    assert.equal(await proxy.stop(), 0);
    await proxy.cleanup();
    await remote.close();
  });

  it("forwards request metadata, and the remote's headers, reply bytes and trailers", async () => {
    const md = new Metadata();
    md.set("x-kubelet-trace", "abc");
    md.add("x-multi", "1");
    md.add("x-multi", "2");
    const request = Buffer.from([1, 2, 3, 250, 0, 7]);
    const out = await unary(client, runtimePath("Version"), request, { metadata: md });
    assert.equal(out.error, undefined);
    assert.deepEqual(out.reply, Buffer.from([7, 0, 250, 3, 2, 1]));
    assert.deepEqual(out.headers?.get("x-remote-header"), ["h1"]);
    assert.deepEqual(out.trailers.get("x-remote-trailer"), ["t1"]);
    const seen = remote.seen.get("Version")?.metadata;
    assert.ok(seen !== undefined, "the remote saw the call");
    assert.deepEqual(seen.get("x-kubelet-trace"), ["abc"]);
    // HTTP/2 delivers a repeated key to grpc-js as one comma-joined value, with or without the proxy.
    assert.equal(seen.get("x-multi").join(", "), "1, 2");
  });

  it("passes an error status with its message and trailers through", async () => {
    const out = await unary(client, runtimePath("ListContainers"), Buffer.alloc(0));
    assert.equal(out.error?.code, status.NOT_FOUND);
    assert.equal(out.error.details, 'Pod sandbox "p1" not found');
    assert.deepEqual(out.trailers.get("x-why"), ["scripted"]);
  });

  it("gives the remote the caller's deadline and cancels it there when it passes", async () => {
    const started = Date.now();
    const out = await unary(client, runtimePath("Status"), Buffer.alloc(0), { deadlineMs: 1500 });
    assert.equal(out.error?.code, status.DEADLINE_EXCEEDED);
    const seen = remote.seen.get("Status");
    assert.ok(seen?.deadline !== undefined && Number.isFinite(seen.deadline), "the remote got a deadline");
    // The remote's deadline is the caller's: gRPC sends it as a relative grpc-timeout, which the proxy
    // takes from what is left and the remote adds to the moment it reads the headers, so the remote's
    // clock deadline is late by the hop's transit (131 ms was seen on a machine with 2 CPU hogs) and
    // never by more; and not much earlier.
    assert.ok(seen.deadline <= started + 1500 + 400, `remote deadline ${seen.deadline - started} ms after the call began`);
    assert.ok(seen.deadline >= started + 1000, `remote deadline ${seen.deadline - started} ms after the call began`);
    await waitFor("the remote call to end", () => seen.cancelled === true, { timeoutMs: 3_000 });
    assert.equal(seen.cancelled, true, "the remote call ended when the deadline passed");
    const mt = await metricsText(proxy);
    assert.ok(counter(mt, "Status", "DeadlineExceeded") >= 1, mt.split("\n").filter((l) => l.includes("Status")).join("\n"));
  });

  it("streams 12.5 MiB in order with backpressure, then the remote's trailers", async () => {
    const out = await serverStream(client, runtimePath("GetContainerEvents"), Buffer.alloc(0));
    assert.equal(out.code, status.OK, out.details);
    assert.equal(out.chunks.length, 200);
    out.chunks.forEach((c, i) => { assert.ok(c.length === 64 * 1024 && c[0] === i % 256 && c[c.length - 1] === i % 256, `message ${i}`); });
    assert.deepEqual(out.trailers.get("x-count"), ["200"]);
  });

  it("passes every message to a slow reader before the remote's status, which arrives while they wait", async () => {
    // The reader takes 5 ms per message, so the proxy's side of the stream is paused for backpressure
    // when the remote's status comes; the status must not end the call before the messages still waiting.
    const out = await serverStream(client, runtimePath("GetContainerEvents"), Buffer.alloc(0), { readPauseMs: 5 });
    assert.equal(out.code, status.OK, out.details);
    assert.equal(out.chunks.length, 200);
    out.chunks.forEach((c, i) => { assert.ok(c.length === 64 * 1024 && c[0] === i % 256, `message ${i}`); });
    assert.deepEqual(out.trailers.get("x-count"), ["200"]);
  });

  it("counts one outcome for a call its reader cancels near the end, also while the last messages wait behind the remote's status", async () => {
    const outcomes = async (): Promise<number> => {
      const text = await metricsText(proxy);
      return counter(text, "GetContainerEvents", "OK") + counter(text, "GetContainerEvents", "Cancelled");
    };
    // A slow reader (10 ms a message) cancelling at these points: near the end the remote has sent its
    // last message and its status while the proxy still holds messages back for backpressure; the call
    // must then be counted as cancelled, not left without an outcome.
    for (const at of [130, 150, 170, 190]) {
      const before = await outcomes();
      const out = await serverStream(client, runtimePath("GetContainerEvents"), Buffer.alloc(0), { readPauseMs: 10, cancelAfterChunks: at });
      // Late enough, everything was already on its way to the reader, and the call ended OK before the cancel.
      assert.ok(out.code === status.CANCELLED || (out.code === status.OK && out.chunks.length === 200), `cancelled after ${at}: ${out.code}, ${out.chunks.length} messages`);
      await waitFor(`the proxy to count the call cancelled after ${at}`, async () => (await outcomes()) === before + 1, { timeoutMs: 5_000 });
    }
  });

  it("cancels the remote's stream when the caller cancels", async () => {
    const out = await serverStream(client, runtimePath("StreamContainers"), Buffer.alloc(0), { cancelAfterChunks: 3 });
    assert.equal(out.code, status.CANCELLED);
    const seen = remote.seen.get("StreamContainers");
    await waitFor("the remote stream to be cancelled", () => seen?.cancelled === true, { timeoutMs: 3_000 });
    assert.equal(seen?.cancelled, true);
  });

  it("answers a method the remote lacks with the remote's Unimplemented", async () => {
    const out = await unary(client, runtimePath("RunPodSandbox"), Buffer.alloc(0));
    assert.equal(out.error?.code, status.UNIMPLEMENTED);
  });
});

describe("remote mode start-up", () => {
  it("refuses a remote endpoint that is not a unix socket, naming the flag", async () => {
    const r = await runExpectingFailure(["--container-runtime=remote", "--remote-runtime-endpoint=tcp://127.0.0.1:1"]);
    assert.equal(r.code, 1);
    assert.match(r.lastLine, /^docker-cri: failed to start: Invalid --remote-runtime-endpoint "tcp:\/\/127.0.0.1:1": use a unix socket path or unix:\/\/\/path$/);
  });

  it("serves while the remote is down, answering Unavailable, and warns once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "docker-cri-no-remote-"));
    const d = await startDaemon({ args: ["--container-runtime=remote", `--remote-runtime-endpoint=unix://${join(dir, "absent.sock")}`] });
    const client = rawClient(d.socketPath);
    try {
      const out = await unary(client, runtimePath("Version"), Buffer.alloc(0), { deadlineMs: 10_000 });
      assert.equal(out.error?.code, status.UNAVAILABLE);
      await waitFor("the warning", () => d.stderr().includes("The remote runtime does not answer yet"), { timeoutMs: 4_000 });
      assert.match(d.stderr(), /"level":"warn".*The remote runtime does not answer yet/);
    } finally {
      client.close();
      assert.equal(await d.stop(), 0);
      await d.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
