import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { RpcContext } from "./context.js";

type MethodImpl<M> = M extends { methodKind: "unary"; input: infer I extends DescMessage; output: infer O extends DescMessage }
  ? (request: MessageShape<I>, ctx: RpcContext) => Promise<MessageInitShape<O>>
  : M extends { methodKind: "server_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? (request: MessageShape<I>, ctx: RpcContext) => AsyncIterable<MessageInitShape<O>>
    : never;

/**
 * A partial implementation of a generated service: one function per RPC, keyed by the method's
 * local name (`version`, `runPodSandbox`, …). Methods left out answer Unimplemented.
 */
export type ServiceImpl<S> = S extends GenService<infer M extends GenServiceMethods> ? { [K in keyof M]?: MethodImpl<M[K]> } : never;
