import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";

/** A handler as grpc-js takes it, for one method of a service. */
type MethodHandler = UntypedServiceImplementation[string];

/**
 * The grpc-js definition of every method of a generated service, on raw bytes both ways (unary, or
 * server-streaming where the proto says so), with the handler `handlerOf` makes for it. `path` is
 * the method's gRPC path, `/<package.Service>/<Method>`.
 */
export function defineService(service: DescService, handlerOf: (method: DescMethod, path: string) => MethodHandler): { definition: ServiceDefinition; handlers: UntypedServiceImplementation } {
  const definition: Record<string, ServiceDefinition[string]> = {};
  const handlers: UntypedServiceImplementation = {};
  const identity = (b: Buffer): Buffer => b;
  for (const method of service.methods) {
    const path = `/${service.typeName}/${method.name}`;
    handlers[method.name] = handlerOf(method, path);
    definition[method.name] = {
      path,
      requestStream: false,
      responseStream: method.methodKind === "server_streaming",
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: method.localName,
    };
  }
  return { definition, handlers };
}
