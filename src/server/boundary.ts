import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { CriError, toCriError } from "../errors/index.js";
import type { Logger } from "../logger/index.js";
import type { RpcMetrics } from "../metrics/index.js";
import { defaultSliceMs, mapInSlices } from "../util/map-in-slices.js";
import type { RpcContext } from "../cri/index.js";
import { defineService } from "./define-service.js";
import { recordCall } from "./record-call.js";
import { nextRequestId } from "./request-id.js";
import { codeName, codeOfKind } from "./status-code.js";

export interface BoundaryDeps {
  log: Logger;
  metrics: RpcMetrics;
}

type UnaryFn = (request: unknown, ctx: RpcContext) => Promise<unknown>;
type StreamFn = (request: unknown, ctx: RpcContext) => AsyncIterable<unknown>;

/** The request's main id, for the child logger: the sandbox or container the call is about. */
function mainIds(request: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof request !== "object" || request === null) return out;
  for (const key of ["podSandboxId", "containerId"] as const) {
    const v: unknown = Reflect.get(request, key);
    if (typeof v === "string" && v !== "") out[key] = v;
  }
  return out;
}

function decode(method: DescMethod, bytes: Buffer): unknown {
  try {
    return fromBinary(method.input, bytes);
  } catch (err) {
    throw new CriError("InvalidArgument", `Cannot decode ${method.input.typeName} for ${method.name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function encode(schema: DescMessage, value: unknown): Buffer {
  // Handlers return MessageInitShape of exactly this schema (enforced by ServiceImpl's typing);
  // create() accepts that shape, and toBinary the message it builds.
  const msg = create(schema, value as never);
  const bytes = toBinary(schema, msg);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A repeated message field holding more items than this is encoded in chunks, in slices. */
export const slicedEncodingFrom = 32;

/**
 * Items of a long list encoded together, with one writer: encoded one by one, the writer's set-up,
 * its growth from a small buffer and the copies that join the pieces made it three times as slow
 * (110 pods: 1.5 ms, 0.47 in chunks of 16, 0.33 in one piece). A chunk of 32 stats items is about
 * 0.2 ms of work, well under a slice.
 */
export const encodedChunkItems = 32;

/**
 * `encode` for answers with a long list (ListContainerStats and ListPodSandboxStats for 110 pods take
 * 15-20 ms to build and encode in one piece, and every other call waited that long): the message
 * without its long lists is encoded whole, then each long list as the message holding only a chunk
 * of its items, with a yield to the event loop after every `sliceMs` of work, as mapInSlices does.
 * Protobuf puts no order on fields and repeated items concatenate, so the bytes decode to the same
 * message as toBinary's (and are the same bytes when the long list is the last field written).
 */
export async function encodeInSlices(schema: DescMessage, value: unknown, sliceMs = defaultSliceMs): Promise<Buffer> {
  const longLists = schema.fields.filter((f) => {
    if (f.fieldKind !== "list" || f.listKind !== "message") return false;
    const items: unknown = typeof value === "object" && value !== null ? Reflect.get(value, f.localName) : undefined;
    return Array.isArray(items) && items.length > slicedEncodingFrom;
  });
  if (longLists.length === 0) return encode(schema, value);
  const long = new Set(longLists.map((f) => f.localName));
  const rest = Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([key]) => !long.has(key)));
  const parts: Buffer[] = [encode(schema, rest)];
  for (const f of longLists) {
    const items = Reflect.get(value as object, f.localName) as unknown[]; // checked above to be an array
    const chunks: unknown[][] = [];
    for (let i = 0; i < items.length; i += encodedChunkItems) chunks.push(items.slice(i, i + encodedChunkItems));
    parts.push(...(await mapInSlices(chunks, (chunk) => encode(schema, { [f.localName]: chunk }), undefined, sliceMs)));
  }
  return Buffer.concat(parts);
}

/**
 * The status message travels in an HTTP/2 trailer (grpc-message, percent-encoded: up to 12 bytes per
 * character). Past the peer's header-list limit (64 KiB in Node) the trailers cannot be sent and the
 * call never ends for the client; a message quoting a megabyte-long field of a bad request did exactly
 * that (found by test/chaos fuzzing). About 4,096 characters keep the worst case under 48 KiB. The
 * middle goes: messages are "what failed: why", and the why is at the end.
 */
export const maxStatusDetailsChars = 4096;

function statusDetails(message: string): string {
  if (message.length <= maxStatusDetailsChars) return message;
  const head = message.slice(0, 3000);
  const tail = message.slice(message.length - 1000);
  return `${head} … (${message.length - head.length - tail.length} characters left out) … ${tail}`;
}

interface CallScope {
  ctx: RpcContext;
  done(err: unknown): { code: status; details: string };
}

/**
 * The one interceptor: request id, child logger, cancellation, metrics, and the only place where an
 * error kind becomes a gRPC status code.
 */
function openScope(deps: BoundaryDeps, method: DescMethod, call: ServerUnaryCall<Buffer, Buffer> | ServerWritableStream<Buffer, Buffer>, request: unknown): CallScope {
  const requestId = nextRequestId();
  const log = deps.log.child({ rpc: method.name, requestId, ...mainIds(request) });
  const record = recordCall(deps.metrics, method.name, log);
  const controller = new AbortController();
  const onCancel = (): void => { controller.abort(new CriError("Canceled", `${method.name} was canceled by the client`)); };
  call.once("cancelled", onCancel);
  const rawDeadline = call.getDeadline();
  const deadline = rawDeadline instanceof Date ? rawDeadline : Number.isFinite(rawDeadline) ? new Date(rawDeadline) : undefined;
  let timer: NodeJS.Timeout | undefined;
  if (deadline !== undefined) {
    timer = setTimeout(() => { controller.abort(new CriError("DeadlineExceeded", `${method.name} passed the client's deadline`)); }, Math.max(0, deadline.getTime() - Date.now()));
    timer.unref();
  }
  return {
    ctx: { signal: controller.signal, log, requestId, deadline },
    done(err) {
      if (timer !== undefined) clearTimeout(timer);
      call.off("cancelled", onCancel);
      if (err === undefined) {
        record(status.OK, {});
        return { code: status.OK, details: "" };
      }
      const criErr = toCriError(err, method.name);
      const code = codeOfKind[criErr.kind];
      record(code, { code: codeName(code), err: criErr });
      return { code, details: statusDetails(criErr.message) };
    },
  };
}

function unaryHandler(deps: BoundaryDeps, method: DescMethod, fn: UnaryFn | undefined) {
  return (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
    let request: unknown;
    let scope: CallScope;
    try {
      request = decode(method, call.request);
    } catch (err) {
      scope = openScope(deps, method, call, undefined);
      const st = scope.done(err);
      callback({ code: st.code, details: st.details, metadata: new Metadata() });
      return;
    }
    scope = openScope(deps, method, call, request);
    const run = fn === undefined
      ? Promise.reject(new CriError("Unimplemented", `${method.name} is not implemented by docker-cri yet`))
      : fn(request, scope.ctx);
    run.then(
      async (response) => {
        let bytes: Buffer;
        try {
          bytes = await encodeInSlices(method.output, response);
        } catch (err) {
          const st = scope.done(err);
          callback({ code: st.code, details: st.details });
          return;
        }
        scope.done(undefined);
        callback(null, bytes);
      },
      (err: unknown) => {
        const st = scope.done(err);
        callback({ code: st.code, details: st.details });
      },
    );
  };
}

async function writeAll(call: ServerWritableStream<Buffer, Buffer>, schema: DescMessage, items: AsyncIterable<unknown>, signal: AbortSignal): Promise<void> {
  for await (const item of items) {
    if (signal.aborted) throw signal.reason;
    if (!call.write(encode(schema, item))) {
      await new Promise<void>((resolve) => call.once("drain", resolve));
    }
  }
}

function streamHandler(deps: BoundaryDeps, method: DescMethod, fn: StreamFn | undefined) {
  return (call: ServerWritableStream<Buffer, Buffer>): void => {
    let scope: CallScope;
    let request: unknown;
    try {
      request = decode(method, call.request);
    } catch (err) {
      scope = openScope(deps, method, call, undefined);
      const st = scope.done(err);
      call.emit("error", { code: st.code, details: st.details });
      return;
    }
    scope = openScope(deps, method, call, request);
    const run = fn === undefined
      ? Promise.reject(new CriError("Unimplemented", `${method.name} is not implemented by docker-cri yet`))
      : writeAll(call, method.output, fn(request, scope.ctx), scope.ctx.signal);
    run.then(
      () => {
        scope.done(undefined);
        call.end();
      },
      (err: unknown) => {
        const st = scope.done(err);
        call.emit("error", { code: st.code, details: st.details });
      },
    );
  };
}

/**
 * Builds the grpc-js definition and handlers of one generated service. Requests arrive as raw bytes and
 * are decoded here, so a malformed message is our InvalidArgument rather than grpc-js's generic error.
 * `impl` maps method local names to handlers; every method of the proto is registered, and those
 * without a handler answer Unimplemented naming themselves.
 */
export function bindService(deps: BoundaryDeps, service: DescService, impl: object): { definition: ServiceDefinition; handlers: UntypedServiceImplementation } {
  return defineService(service, (method) => {
    const fn: unknown = Reflect.get(impl, method.localName);
    // ServiceImpl's mapped type guarantees each present key holds the matching handler shape.
    return method.methodKind === "server_streaming"
      ? streamHandler(deps, method, typeof fn === "function" ? (fn as StreamFn) : undefined)
      : unaryHandler(deps, method, typeof fn === "function" ? (fn as UnaryFn) : undefined);
  });
}
