/**
 * One unary CRI call on a connection of its own, as `crictl` makes each call: node:http2 straight over
 * the unix socket (gRPC's 5-byte frame around the request, the status from the trailers), so the
 * figure is the connection set-up and the call on docker-cri's side, not grpc-js's channel machinery
 * in this process (which alone costs more than the server's part).
 */
import { connect as http2Connect, constants, type IncomingHttpHeaders } from "node:http2";
import { connect as netConnect } from "node:net";
import { create, toBinary, type DescMessage, type DescMethod, type MessageInitShape } from "@bufbuild/protobuf";

type UnaryMethod<I extends DescMessage> = DescMethod & { methodKind: "unary"; input: I };

export async function freshUnaryCall<I extends DescMessage>(socketPath: string, method: UnaryMethod<I>, request: MessageInitShape<I>): Promise<Buffer> {
  const body = toBinary(method.input, create(method.input, request));
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  const session = http2Connect("http://localhost", { createConnection: () => netConnect(socketPath) });
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      session.once("error", reject);
      const stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: "POST",
        [constants.HTTP2_HEADER_PATH]: `/${method.parent.typeName}/${method.name}`,
        "content-type": "application/grpc",
        te: "trailers",
      });
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => { chunks.push(c); });
      stream.once("trailers", (trailers: IncomingHttpHeaders) => {
        const status = trailers["grpc-status"];
        if (status !== "0") reject(new Error(`grpc-status ${String(status)}: ${String(trailers["grpc-message"])}`));
      });
      stream.once("end", () => { resolve(Buffer.concat(chunks)); });
      stream.once("error", reject);
      stream.end(frame);
    });
  } finally {
    session.close();
  }
}
