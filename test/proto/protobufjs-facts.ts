// Extracts wire facts from a .proto parsed by protobufjs, the same tool the reference descriptor was
// extracted with, so both sides see options, map fields and nested names the same way.
import protobuf from "protobufjs";
import type { Enum, Field, MapField, NamespaceBase, ReflectionObject } from "protobufjs";
import { grpcPath } from "./facts.js";
import type { EnumFacts, FieldFacts, FieldOptions, FileFacts, MessageFacts, ServiceFacts } from "./facts.js";

export function factsFromProtoSource(source: string): FileFacts {
  const parsed = protobuf.parse(source, { keepCase: true });
  const pkg = parsed.package;
  if (pkg === undefined) throw new Error("Proto declares no package");
  parsed.root.resolveAll();
  const ns = parsed.root.lookup(pkg);
  if (!(ns instanceof protobuf.Namespace)) throw new Error(`Package not found in parsed proto: "${pkg}"`);

  const prefix = `.${pkg}.`;
  const relName = (obj: ReflectionObject): string =>
    obj.fullName.startsWith(prefix) ? obj.fullName.slice(prefix.length) : obj.fullName;

  const services: ServiceFacts[] = [];
  const messages: MessageFacts[] = [];
  const enums: EnumFacts[] = [];
  // Source order, with a nested type right after its parent, matches how the descriptor lists them.
  const walk = (parent: NamespaceBase): void => {
    for (const obj of parent.nestedArray) {
      if (obj instanceof protobuf.Service) {
        const fullName = obj.fullName.slice(1); // protobufjs full names start with "."
        services.push({
          name: obj.name,
          fullName,
          methods: obj.methodsArray.map((m) => ({
            name: m.name,
            requestType: m.resolvedRequestType ? relName(m.resolvedRequestType) : m.requestType,
            responseType: m.resolvedResponseType ? relName(m.resolvedResponseType) : m.responseType,
            clientStreaming: m.requestStream === true,
            serverStreaming: m.responseStream === true,
            grpcPath: grpcPath(fullName, m.name),
          })),
        });
      } else if (obj instanceof protobuf.Type) {
        messages.push({ name: relName(obj), fields: obj.fieldsArray.map((f) => fieldFacts(f, relName)) });
        walk(obj);
      } else if (obj instanceof protobuf.Enum) {
        enums.push(enumFacts(obj, relName));
      } else if (obj instanceof protobuf.Namespace) {
        walk(obj);
      }
    }
  };
  walk(ns);

  // protobufjs keeps the syntax only on the parsed objects' private `_edition` ("proto2"/"proto3");
  // reading it is safer than regex-matching the source, and the test fails loudly if it disappears.
  const first = ns.nestedArray[0];
  const edition: unknown = first === undefined ? undefined : Reflect.get(first, "_edition");
  return {
    syntax: typeof edition === "string" ? edition : "unknown",
    package: pkg,
    imports: [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])],
    fileOptions: stringOptions(ns.options),
    services,
    messages,
    enums,
  };
}

function fieldFacts(f: Field | MapField, relName: (o: ReflectionObject) => string): FieldFacts {
  const resolved = f.resolvedType;
  const typeName = resolved === null ? f.type : relName(resolved);
  const typeKind = resolved === null ? "scalar" : resolved instanceof protobuf.Type ? "message" : "enum";
  const facts: FieldFacts =
    f instanceof protobuf.MapField
      ? { name: f.name, number: f.id, label: "map", keyType: f.keyType, valueType: typeName, type: `map<${f.keyType}, ${typeName}>`, typeKind }
      : { name: f.name, number: f.id, type: typeName, label: f.repeated ? "repeated" : "singular", typeKind };
  // Proto3 `optional` fields sit in a synthetic oneof named "_<field>"; only real oneofs count.
  const oneof = f.partOf;
  if (oneof !== null && !(oneof.name === `_${f.name}` && oneof.oneof.length === 1)) facts.oneof = oneof.name;
  const options = fieldOptions(f.options);
  if (options !== undefined) facts.options = options;
  return facts;
}

function enumFacts(e: Enum, relName: (o: ReflectionObject) => string): EnumFacts {
  return { name: relName(e), values: Object.entries(e.values).map(([name, number]) => ({ name, number })) };
}

function fieldOptions(options: Record<string, unknown> | undefined): FieldOptions | undefined {
  if (options === undefined) return undefined;
  const out: FieldOptions = {};
  for (const [k, v] of Object.entries(options)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
    else throw new Error(`Unsupported option value for "${k}": ${JSON.stringify(v)}`);
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function stringOptions(options: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(options ?? {})) {
    if (typeof v !== "string") throw new Error(`Unsupported file option value for "${k}": ${JSON.stringify(v)}`);
    out[k] = v;
  }
  return out;
}
