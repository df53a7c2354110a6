// The shape of the wire facts in ../shared/cri-api/cri-v1-descriptor.json (see its `conventions`), so facts
// extracted from our proto (protobufjs) and from src/gen (protobuf-es) can be deep-compared with it.
// Type names are relative to the package; nested types are written "Outer.Inner".

export interface MethodFacts {
  name: string;
  requestType: string;
  responseType: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
  grpcPath: string;
}

export interface ServiceFacts {
  name: string;
  fullName: string;
  methods: MethodFacts[];
}

export type FieldOptions = Record<string, string | number | boolean>;

export interface FieldFacts {
  name: string;
  number: number;
  /** Scalar name, message/enum name, or `map<K, V>` for maps. */
  type: string;
  label: "singular" | "repeated" | "map";
  /** For maps this describes the value type. */
  typeKind: "scalar" | "message" | "enum";
  keyType?: string;
  valueType?: string;
  /** Present only on fields of a real oneof. */
  oneof?: string;
  /** Present only when the field declares options. */
  options?: FieldOptions;
}

export interface MessageFacts {
  name: string;
  fields: FieldFacts[];
}

export interface EnumValueFacts {
  name: string;
  number: number;
}

export interface EnumFacts {
  name: string;
  values: EnumValueFacts[];
}

export interface FileFacts {
  syntax: string;
  package: string;
  imports: string[];
  fileOptions: Record<string, string>;
  services: ServiceFacts[];
  messages: MessageFacts[];
  enums: EnumFacts[];
}

export interface FactCounts {
  services: number;
  rpcs: number;
  messages: number;
  enums: number;
  enumValues: number;
  fields: number;
  mapFields: number;
  repeatedFields: number;
  oneofs: number;
  proto3OptionalFields: number;
  nestedTypes: number;
}

/** Counts derived from the facts themselves, never copied, so they check the extraction too. */
export function countFacts(facts: Pick<FileFacts, "services" | "messages" | "enums">): FactCounts {
  const fields = facts.messages.flatMap((m) => m.fields);
  const oneofs = new Set(
    facts.messages.flatMap((m) => m.fields.flatMap((f) => (f.oneof === undefined ? [] : [`${m.name}.${f.oneof}`]))),
  );
  return {
    services: facts.services.length,
    rpcs: facts.services.reduce((n, s) => n + s.methods.length, 0),
    messages: facts.messages.length,
    enums: facts.enums.length,
    enumValues: facts.enums.reduce((n, e) => n + e.values.length, 0),
    fields: fields.length,
    mapFields: fields.filter((f) => f.label === "map").length,
    repeatedFields: fields.filter((f) => f.label === "repeated").length,
    oneofs: oneofs.size,
    proto3OptionalFields: fields.filter((f) => f.options?.["proto3_optional"] === true).length,
    nestedTypes: [...facts.messages, ...facts.enums].filter((t) => t.name.includes(".")).length,
  };
}

export function grpcPath(serviceFullName: string, methodName: string): string {
  return `/${serviceFullName}/${methodName}`;
}
