// The public surface of the generated CRI code. Hand-written (scripts/gen.mjs leaves it in place).
export * from "./runtime/v1/api_pb.js";
