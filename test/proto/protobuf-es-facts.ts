// Extracts wire facts from the protobuf-es descriptors embedded in src/gen, so a src/gen that was not
// regenerated after a proto change fails the comparison with the reference descriptor.
import { ScalarType } from "@bufbuild/protobuf";
import type { DescEnum, DescField, DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
import { grpcPath } from "./facts.js";
import type { EnumFacts, FieldFacts, FieldOptions, MessageFacts, ServiceFacts } from "./facts.js";

export interface GeneratedFacts {
  package: string;
  services: ServiceFacts[];
  /** Keyed by name: a FileDescriptorProto keeps messages and enums in separate lists, losing their interleaving. */
  messages: Record<string, MessageFacts>;
  enums: Record<string, EnumFacts>;
}

export function factsFromGenerated(file: DescFile, services: readonly DescService[]): GeneratedFacts {
  const pkg = file.proto.package;
  const rel = (typeName: string): string => (typeName.startsWith(`${pkg}.`) ? typeName.slice(pkg.length + 1) : typeName);

  const messages: Record<string, MessageFacts> = {};
  const enums: Record<string, EnumFacts> = {};
  const addEnum = (e: DescEnum): void => {
    enums[rel(e.typeName)] = { name: rel(e.typeName), values: e.values.map((v) => ({ name: v.name, number: v.number })) };
  };
  const addMessage = (m: DescMessage): void => {
    messages[rel(m.typeName)] = { name: rel(m.typeName), fields: m.fields.map((f) => fieldFacts(f, rel)) };
    m.nestedEnums.forEach(addEnum);
    m.nestedMessages.forEach(addMessage);
  };
  file.messages.forEach(addMessage);
  file.enums.forEach(addEnum);

  return {
    package: pkg,
    services: services.map((s) => ({
      name: s.name,
      fullName: s.typeName,
      methods: s.methods.map((m) => ({
        name: m.name,
        requestType: rel(m.input.typeName),
        responseType: rel(m.output.typeName),
        clientStreaming: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
        serverStreaming: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
        grpcPath: grpcPath(s.typeName, m.name),
      })),
    })),
    messages,
    enums,
  };
}

/** protobuf-es names scalars by ScalarType member (STRING); the descriptor uses the .proto spelling (string). */
function scalarName(t: ScalarType): string {
  return ScalarType[t].toLowerCase();
}

function fieldFacts(f: DescField, rel: (typeName: string) => string): FieldFacts {
  const base = { name: f.name, number: f.number };
  let facts: FieldFacts;
  switch (f.fieldKind) {
    case "scalar":
      facts = { ...base, type: scalarName(f.scalar), label: "singular", typeKind: "scalar" };
      break;
    case "enum":
      facts = { ...base, type: rel(f.enum.typeName), label: "singular", typeKind: "enum" };
      break;
    case "message":
      facts = { ...base, type: rel(f.message.typeName), label: "singular", typeKind: "message" };
      break;
    case "list": {
      const t = f.listKind === "scalar" ? scalarName(f.scalar) : f.listKind === "enum" ? rel(f.enum.typeName) : rel(f.message.typeName);
      facts = { ...base, type: t, label: "repeated", typeKind: f.listKind };
      break;
    }
    case "map": {
      const k = scalarName(f.mapKey);
      const v = f.mapKind === "scalar" ? scalarName(f.scalar) : f.mapKind === "enum" ? rel(f.enum.typeName) : rel(f.message.typeName);
      facts = { ...base, type: `map<${k}, ${v}>`, label: "map", keyType: k, valueType: v, typeKind: f.mapKind };
      break;
    }
  }
  if (f.oneof !== undefined) facts.oneof = f.oneof.name;
  // Only the options the CRI proto uses are mapped; any other option in the descriptor shows up as a difference.
  const options: FieldOptions = {};
  if (f.proto.options?.deprecated === true) options["deprecated"] = true;
  if (f.proto.options?.debugRedact === true) options["debug_redact"] = true;
  if (f.proto.proto3Optional) options["proto3_optional"] = true;
  if (Object.keys(options).length > 0) facts.options = options;
  return facts;
}
