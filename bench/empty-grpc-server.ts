/**
 * The kubelet bench's reference: a grpc-js server in a process of its own that answers `Version` with
 * bytes encoded once at start, doing nothing else. The load generator calls it on the same schedule
 * as docker-cri's `Version` (every 10 s, on its own): what such a call costs on this host through
 * grpc-js and the kernel with no work behind it. Idle between calls, this process is colder than a
 * docker-cri the load keeps busy, so it can be slower than docker-cri's own `Version`.
 *
 * Protocol: forked with IPC and the socket path as its argument; sends {type: "ready"} once it
 * serves, and exits when the parent goes away.
 */
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { create, toBinary } from "@bufbuild/protobuf";
import { RuntimeService, VersionResponseSchema } from "../src/gen/index.js";

const version = RuntimeService.method.version;

function main(): void {
  const socketPath = process.argv[2];
  if (socketPath === undefined) throw new Error("usage: empty-grpc-server.ts <socket path>");
  process.on("disconnect", () => process.exit(0));
  const answer = Buffer.from(toBinary(VersionResponseSchema, create(VersionResponseSchema, { version: "0.1.0", runtimeName: "reference", runtimeVersion: "0", runtimeApiVersion: "v1" })));
  const same = (b: Buffer): Buffer => b;
  const server = new Server();
  server.addService(
    { version: { path: `/${version.parent.typeName}/${version.name}`, requestStream: false, responseStream: false, requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same } },
    { version: (_call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => { callback(null, answer); } },
  );
  server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) => {
    if (err !== null) throw err;
    process.send?.({ type: "ready" });
  });
}

main();
