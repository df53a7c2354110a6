import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  Client,
  credentials,
  Metadata,
  status,
  type ClientReadableStream,
  type ClientUnaryCall,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type StatusObject,
} from "@grpc/grpc-js";
import { CriError } from "../errors/index.js";
import type { Logger } from "../logger/index.js";
import type { RpcMetrics } from "../metrics/index.js";
import { defineService } from "./define-service.js";
import { maxMessageBytes, newCriServer, serveOnEndpoint, type GrpcServer } from "./grpc-server.js";
import type { ListenTarget } from "./listen-endpoint.js";
import { recordCall } from "./record-call.js";
import { nextRequestId } from "./request-id.js";
import { codeName } from "./status-code.js";

export interface RemoteProxyOptions {
  /** Where we serve CRI (the kubelet's --container-runtime-endpoint). */
  readonly target: ListenTarget;
  /** --remote-runtime-endpoint: the CRI socket every call is forwarded to. */
  readonly remoteEndpoint: string;
  /** The services whose every method is forwarded (RuntimeService and ImageService). */
  readonly services: readonly DescService[];
  readonly log: Logger;
  readonly metrics: RpcMetrics;
  /** How long start waits to see the remote answer before it warns (it serves either way). */
  readonly connectWarnMs?: number;
}

/**
 * Headers that belong to one HTTP/2 hop, not to the call: grpc-js sets its own user agent, timeout and
 * encodings on the outgoing call, and pseudo-headers are not metadata.
 */
function forwardable(md: Metadata): Metadata {
  const out = new Metadata();
  for (const key of Object.keys(md.getMap())) {
    if (key.startsWith(":") || key.startsWith("grpc-") || key === "user-agent" || key === "content-type" || key === "te" || key === "host") continue;
    // getMap() keeps only the first value of a repeated key; get() returns them all.
    for (const v of md.get(key)) out.add(key, v);
  }
  return out;
}

/** `unix:///path` or `/path` → the grpc-js target; anything else is refused, naming the flag. */
export function remoteTarget(endpoint: string): string {
  if (endpoint.startsWith("unix://") && endpoint.slice("unix://".length).startsWith("/")) return endpoint;
  if (endpoint.startsWith("/")) return `unix://${endpoint}`;
  throw new CriError("InvalidArgument", `Invalid --remote-runtime-endpoint "${endpoint}": use a unix socket path or unix:///path`);
}

/**
 * A caller's deadline usually expires on the caller's side first, and reaches us as a cancellation
 * (RST_STREAM) a few milliseconds before our copy of it (grpc-timeout is relative and rounded); grpc-js
 * also ends a server call whose deadline passed as "cancelled". Either way the remote call is cancelled,
 * but what happened is the deadline, and that is what the metrics and log should say.
 */
const deadlineSlackMs = 100;

function effectiveStatus(st: StatusObject, deadline: Date | number): StatusObject {
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  if (st.code === status.CANCELLED && Number.isFinite(ms) && Date.now() + deadlineSlackMs >= ms) {
    return { ...st, code: status.DEADLINE_EXCEEDED, details: "Deadline exceeded" };
  }
  return st;
}

interface ProxyScope {
  readonly log: Logger;
  finish(st: { code: status; details: string }): void;
}

/**
 * Serves RuntimeService and ImageService as a transparent proxy to another CRI runtime: the
 * --container-runtime=remote of the kubelet before Kubernetes 1.24, where the kubelet did not use its own dockershim but handed CRI to a
 * remote runtime. Messages are never decoded: request and response bytes, metadata in both
 * directions (headers and trailers), the status code and message pass through unchanged, and the
 * client's deadline and cancellation follow the call to the remote. What we add is our request-id
 * logging and the same RPC metrics as in docker mode.
 */
export async function startRemoteProxy(opts: RemoteProxyOptions): Promise<GrpcServer> {
  const target = remoteTarget(opts.remoteEndpoint);
  const client = new Client(target, credentials.createInsecure(), {
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
  });
  const server = newCriServer();
  const identity = (b: Buffer): Buffer => b;

  // The boundary's outcome logging and metrics, under our own request id; the status is the remote's.
  const openScope = (method: DescMethod): ProxyScope => {
    const log = opts.log.child({ rpc: method.name, requestId: nextRequestId(), remote: opts.remoteEndpoint });
    const record = recordCall(opts.metrics, method.name, log, " (forwarded)");
    return {
      log,
      finish(st) {
        const code = codeName(st.code);
        record(st.code, st.code === status.OK ? { code } : { code, details: st.details });
      },
    };
  };

  const unary = (path: string, method: DescMethod) => (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
    const scope = openScope(method);
    let response: Buffer | undefined;
    const out: ClientUnaryCall = client.makeUnaryRequest(path, identity, identity, call.request, forwardable(call.metadata), { deadline: call.getDeadline() }, (_err, value?: Buffer) => {
      response = value;
    });
    const onCancel = (): void => { out.cancel(); };
    call.once("cancelled", onCancel);
    out.on("metadata", (md: Metadata) => { call.sendMetadata(forwardable(md)); });
    // The status event follows the callback and carries the trailers, for success and failure alike.
    out.on("status", (received: StatusObject) => {
      const st = effectiveStatus(received, call.getDeadline());
      call.off("cancelled", onCancel);
      scope.finish(st);
      const trailers = forwardable(st.metadata);
      if (st.code === status.OK && response !== undefined) callback(null, response, trailers);
      else callback({ code: st.code, details: st.details, metadata: trailers });
    });
  };

  const serverStream = (path: string, method: DescMethod) => (call: ServerWritableStream<Buffer, Buffer>): void => {
    const scope = openScope(method);
    const out: ClientReadableStream<Buffer> = client.makeServerStreamRequest(path, identity, identity, call.request, forwardable(call.metadata), { deadline: call.getDeadline() });
    // The remote's status, once it came and until the messages before it have been passed on.
    let waiting: { readonly onEnd: () => void } | undefined;
    const onCancel = (): void => {
      out.cancel();
      if (waiting === undefined) return;
      // Cancelled while the last messages waited: nobody reads them now.
      out.off("end", waiting.onEnd);
      waiting = undefined;
      call.off("drain", onDrain);
      scope.finish(effectiveStatus({ code: status.CANCELLED, details: "Cancelled by the caller before the last messages were sent", metadata: new Metadata() }, call.getDeadline()));
    };
    call.once("cancelled", onCancel);
    // Backpressure: a slow kubelet pauses the remote's stream instead of growing our buffers.
    const onDrain = (): void => { out.resume(); };
    call.on("drain", onDrain);
    out.on("metadata", (md: Metadata) => { call.sendMetadata(forwardable(md)); });
    out.on("data", (chunk: Buffer) => {
      if (!call.write(chunk)) out.pause();
    });
    // Failures arrive as a status event too; without an error listener the stream would throw.
    out.on("error", () => undefined);
    const finish = (received: StatusObject): void => {
      const st = effectiveStatus(received, call.getDeadline());
      call.off("cancelled", onCancel);
      call.off("drain", onDrain);
      scope.finish(st);
      const trailers = forwardable(st.metadata);
      if (st.code === status.OK) call.end(trailers);
      else call.emit("error", { code: st.code, details: st.details, metadata: trailers });
    };
    // grpc-js reports the status as soon as it arrives, while messages before it may still wait in the
    // stream, paused for backpressure: the call ends with the status once the last of them is passed on.
    out.on("status", (received: StatusObject) => {
      // A cancelled caller reads nothing more: its status now (the remote's cancellation, or its deadline).
      if (out.readableEnded || call.cancelled) {
        finish(received);
        return;
      }
      const onEnd = (): void => {
        waiting = undefined;
        finish(received);
      };
      waiting = { onEnd };
      out.once("end", onEnd);
    });
  };

  for (const service of opts.services) {
    const { definition, handlers } = defineService(service, (method, path) => {
      if (method.methodKind === "server_streaming") return serverStream(path, method);
      if (method.methodKind === "unary") return unary(path, method);
      // CRI v1 has neither client- nor bidi-streaming RPCs; a future one would need its own forwarder.
      throw new CriError("Internal", `Cannot proxy ${path}: ${method.methodKind} RPCs are not supported`);
    });
    server.addService(definition, handlers);
  }

  const grpc = await serveOnEndpoint(server, {
    target: opts.target,
    log: opts.log,
    announce: "Serving CRI as a proxy to the remote runtime",
    announceFields: { remote: opts.remoteEndpoint },
    release: () => { client.close(); },
  });
  const warnMs = opts.connectWarnMs ?? 2_000;
  client.waitForReady(Date.now() + warnMs, (err) => {
    if (err !== undefined) opts.log.warn({ remote: opts.remoteEndpoint, waitedMs: warnMs }, "The remote runtime does not answer yet; calls fail with Unavailable until it does");
  });
  return grpc;
}
