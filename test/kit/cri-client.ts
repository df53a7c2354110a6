/**
 * A typed CRI client for tests: grpc-js over the unix socket, messages encoded with the generated
 * protobuf-es schemas — the same bytes the kubelet's grpc-go client sends. Unary calls (`call`),
 * server streams collected to their end (`stream`) or left open (`open`, for GetContainerEvents),
 * and raw bytes for malformed input (`callRaw`).
 */
import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Client, credentials, Metadata, type ClientReadableStream, type ServiceError } from "@grpc/grpc-js";

type UnaryMethod<I extends DescMessage, O extends DescMessage> = DescMethod & { methodKind: "unary"; input: I; output: O };
type StreamMethod<I extends DescMessage, O extends DescMessage> = DescMethod & { methodKind: "server_streaming"; input: I; output: O };

export interface CriClient {
  /**
   * Calls a unary RPC, e.g. `client.call(RuntimeService.method.version, {})`. `onReceived` runs when
   * the answer's bytes have arrived, before they are decoded (the bench times docker-cri, not our decoding).
   */
  call<I extends DescMessage, O extends DescMessage>(method: UnaryMethod<I, O>, request: MessageInitShape<I>, opts?: { deadlineMs?: number; onReceived?: () => void }): Promise<MessageShape<O>>;
  /** Calls a server-streaming RPC and collects every message until the end of the stream. */
  stream<I extends DescMessage, O extends DescMessage>(method: StreamMethod<I, O>, request: MessageInitShape<I>, opts?: { deadlineMs?: number }): Promise<MessageShape<O>[]>;
  /**
   * Opens a server-streaming RPC and returns the live call, for a stream that does not end on its
   * own (GetContainerEvents): read it with "data"/"error"/"end", pause, resume, cancel. No deadline
   * unless `deadlineMs` is given.
   */
  open<I extends DescMessage, O extends DescMessage>(method: StreamMethod<I, O>, request: MessageInitShape<I>, opts?: { deadlineMs?: number }): ClientReadableStream<MessageShape<O>>;
  /** Sends raw bytes as the request of `path` (for malformed-input tests); resolves to the raw reply. */
  callRaw(path: string, bytes: Uint8Array, opts?: { deadlineMs?: number }): Promise<Buffer>;
  close(): void;
}

function pathOf(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** `maxReceiveBytes`: the largest answer taken (default 16 MiB, the kubelet's); a test can allow more, to see a server's own cap. */
export function criClient(socketPath: string, opts: { maxReceiveBytes?: number } = {}): CriClient {
  const client = new Client(`unix://${socketPath}`, credentials.createInsecure(), {
    "grpc.max_receive_message_length": opts.maxReceiveBytes ?? 16 * 1024 * 1024,
    "grpc.max_send_message_length": 16 * 1024 * 1024,
  });
  const deadline = (ms: number | undefined): { deadline: Date } => ({ deadline: new Date(Date.now() + (ms ?? 30_000)) });
  const open: CriClient["open"] = (method, request, opts) =>
    client.makeServerStreamRequest(
      pathOf(method),
      (msg: MessageInitShape<typeof method.input>) => Buffer.from(toBinary(method.input, create(method.input, msg))),
      (buf: Buffer) => fromBinary(method.output, buf),
      request,
      new Metadata(),
      opts?.deadlineMs === undefined ? {} : deadline(opts.deadlineMs),
    );
  return {
    call(method, request, opts) {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          pathOf(method),
          (msg: MessageInitShape<typeof method.input>) => Buffer.from(toBinary(method.input, create(method.input, msg))),
          (buf: Buffer) => {
            opts?.onReceived?.();
            return fromBinary(method.output, buf);
          },
          request,
          new Metadata(),
          deadline(opts?.deadlineMs),
          (err: ServiceError | null, value?: MessageShape<typeof method.output>) => {
            if (err !== null) reject(err);
            else if (value === undefined) reject(new Error("empty reply"));
            else resolve(value);
          },
        );
      });
    },
    async stream(method, request, opts) {
      const call = open(method, request, { deadlineMs: opts?.deadlineMs ?? 30_000 });
      const out: MessageShape<typeof method.output>[] = [];
      // open's deserializer turns every message into one of the output schema.
      for await (const msg of call as AsyncIterable<MessageShape<typeof method.output>>) out.push(msg);
      return out;
    },
    open,
    callRaw(path, bytes, opts) {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          path,
          (b: Uint8Array) => Buffer.from(b),
          (b: Buffer) => b,
          bytes,
          new Metadata(),
          deadline(opts?.deadlineMs),
          (err: ServiceError | null, value?: Buffer) => {
            if (err !== null) reject(err);
            else resolve(value ?? Buffer.alloc(0));
          },
        );
      });
    },
    close() {
      client.close();
    },
  };
}

/** True when `err` is a gRPC error with `code`; for `assert.rejects` predicates. */
export function isGrpcError(err: unknown, code: number, messagePart?: string | RegExp): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as Partial<ServiceError>; // narrowed by the checks below
  if (Number(e.code) !== code) return false;
  if (messagePart === undefined) return true;
  const details = e.details ?? "";
  return typeof messagePart === "string" ? details.includes(messagePart) : messagePart.test(details);
}
