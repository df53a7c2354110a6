/**
 * Sends raw request bytes to any CRI method, unary or server-streaming, and reports how it ended as a
 * gRPC status (never throws): what the fuzz and bad-input tests assert on. The bytes go through grpc-js
 * exactly as a kubelet's would, so the daemon's own decoding is what is tested.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { Client, credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";

export interface CallOutcome {
  readonly code: status;
  readonly details: string;
  /** Reply messages received (1 for a successful unary call). */
  readonly replies: Buffer[];
}

export interface RawCaller {
  call(method: DescMethod, bytes: Uint8Array, opts?: { deadlineMs?: number }): Promise<CallOutcome>;
  close(): void;
}

export function pathOf(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

export function rawCaller(socketPath: string): RawCaller {
  const client = new Client(`unix://${socketPath}`, credentials.createInsecure(), {
    "grpc.max_receive_message_length": 16 * 1024 * 1024,
    "grpc.max_send_message_length": 16 * 1024 * 1024,
  });
  const identity = (b: Buffer): Buffer => b;
  return {
    call(method, bytes, opts = {}) {
      const deadline = new Date(Date.now() + (opts.deadlineMs ?? 30_000));
      const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (method.methodKind === "server_streaming") {
        return new Promise((resolve) => {
          const replies: Buffer[] = [];
          const call = client.makeServerStreamRequest(pathOf(method), identity, identity, payload, new Metadata(), { deadline });
          call.on("data", (b: Buffer) => replies.push(b));
          call.on("error", (err: ServiceError) => { resolve({ code: err.code, details: err.details, replies }); });
          call.on("end", () => { resolve({ code: status.OK, details: "", replies }); });
        });
      }
      return new Promise((resolve) => {
        client.makeUnaryRequest(pathOf(method), identity, identity, payload, new Metadata(), { deadline }, (err: ServiceError | null, value?: Buffer) => {
          if (err !== null) resolve({ code: err.code, details: err.details, replies: [] });
          else resolve({ code: status.OK, details: "", replies: value === undefined ? [] : [value] });
        });
      });
    },
    close() {
      client.close();
    },
  };
}

export function codeName(code: status): string {
  return status[code];
}
