#!/usr/bin/env node
// Writes proto/runtime/v1/api.proto from the CRI wire facts in ../shared/cri-api/cri-v1-descriptor.json.
// The facts (names, numbers, types, labels, options, streaming flags) are all the wire needs; upstream
// comments are deliberately not reproduced. Order of messages, enums and fields follows the JSON so the
// generated code stays stable between runs.
//
// Usage: node scripts/proto-from-descriptor.mjs [descriptor.json] [out.proto]
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const inPath = resolve(process.argv[2] ?? join(repoRoot, "..", "shared", "cri-api", "cri-v1-descriptor.json"));
const outPath = resolve(process.argv[3] ?? join(repoRoot, "proto", "runtime", "v1", "api.proto"));

const facts = JSON.parse(readFileSync(inPath, "utf8"));
if (facts.syntax !== "proto3") throw new Error(`Unsupported syntax: "${facts.syntax}"`);
if ((facts.imports ?? []).length > 0) throw new Error("Descriptor lists imports; this transform does not handle them");
if ((facts.counts?.oneofs ?? 0) > 0 || (facts.counts?.proto3OptionalFields ?? 0) > 0) {
  throw new Error("Descriptor has oneofs or proto3 optional fields; this transform does not handle them");
}

/** Option values are copied verbatim; strings need quoting, booleans and numbers do not. */
function optionValue(v) {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  throw new Error(`Unsupported option value: ${JSON.stringify(v)}`);
}

function inlineOptions(options) {
  const entries = Object.entries(options ?? {});
  if (entries.length === 0) return "";
  return ` [${entries.map(([k, v]) => `${k} = ${optionValue(v)}`).join(", ")}]`;
}

function fieldType(f) {
  if (f.label === "map") return `map<${f.keyType}, ${f.valueType}>`;
  if (f.label === "repeated") return `repeated ${f.type}`;
  if (f.label === "singular") return f.type;
  throw new Error(`Unsupported label "${f.label}" on field "${f.name}"`);
}

// Descriptor names nested types as "Outer.Inner"; protobuf needs them declared inside Outer.
// Types are grouped by their parent path so each is emitted inside its parent's body.
const childrenOf = new Map();
function addChild(kind, def) {
  const dot = def.name.lastIndexOf(".");
  const parent = dot < 0 ? "" : def.name.slice(0, dot);
  const local = dot < 0 ? def.name : def.name.slice(dot + 1);
  if (!childrenOf.has(parent)) childrenOf.set(parent, []);
  childrenOf.get(parent).push({ kind, def, local });
}

// At the top level the JSON keeps messages and enums in two lists. Putting each enum just before the
// first message that uses it keeps both lists' order (checked below) and reads naturally.
const topEnums = facts.enums.filter((e) => !e.name.includes("."));
const firstUse = new Map();
facts.messages.forEach((m, i) => {
  for (const f of m.fields) {
    for (const t of [f.type, f.valueType]) if (t !== undefined && !firstUse.has(t)) firstUse.set(t, i);
  }
});
let enumCursor = 0;
facts.messages.forEach((m, i) => {
  while (enumCursor < topEnums.length && (firstUse.get(topEnums[enumCursor].name) ?? Infinity) <= i) {
    addChild("enum", topEnums[enumCursor++]);
  }
  addChild("message", m);
});
while (enumCursor < topEnums.length) addChild("enum", topEnums[enumCursor++]);
for (const e of facts.enums) if (e.name.includes(".")) addChild("enum", e);

function emitEnum(e, local, indent, out) {
  out.push(`${indent}enum ${local} {`);
  for (const [k, v] of Object.entries(e.options ?? {})) out.push(`${indent}  option ${k} = ${optionValue(v)};`);
  for (const v of e.values) out.push(`${indent}  ${v.name} = ${v.number}${inlineOptions(v.options)};`);
  out.push(`${indent}}`);
}

function emitMessage(m, local, indent, out) {
  out.push(`${indent}message ${local} {`);
  for (const child of childrenOf.get(m.name) ?? []) emitType(child, `${indent}  `, out);
  for (const f of m.fields) {
    out.push(`${indent}  ${fieldType(f)} ${f.name} = ${f.number}${inlineOptions(f.options)};`);
  }
  out.push(`${indent}}`);
}

function emitType({ kind, def, local }, indent, out) {
  emittedNames.add(def.name);
  if (kind === "enum") emitEnum(def, local, indent, out);
  else emitMessage(def, local, indent, out);
}

const emittedNames = new Set(); // filled by emitType
const out = [];
const src = facts.source;
out.push(
  // protoc-gen-es copies this comment into api_pb.ts too, so it is worded to hold in both files.
  "// CRI runtime.v1 wire interface, generated from facts, not hand-written.",
  `// Facts: ${src.repository} ${src.path} at commit ${src.commit}`,
  `// (${src.gitDescribe}, ${src.commitDate}), via ../shared/cri-api/cri-v1-descriptor.json.`,
  "// proto/runtime/v1/api.proto is written by scripts/proto-from-descriptor.mjs and src/gen by scripts/gen.mjs;",
  "// it must stay wire-identical to the descriptor, which test/proto/descriptor.test.ts checks.",
  "",
  `syntax = "${facts.syntax}";`,
  "",
  `package ${facts.package};`,
  "",
);
for (const [k, v] of Object.entries(facts.fileOptions ?? {})) out.push(`option ${k} = ${optionValue(v)};`);

for (const s of facts.services) {
  out.push("", `service ${s.name} {`);
  for (const m of s.methods) {
    const req = `${m.clientStreaming ? "stream " : ""}${m.requestType}`;
    const res = `${m.serverStreaming ? "stream " : ""}${m.responseType}`;
    out.push(`  rpc ${m.name}(${req}) returns (${res}) {}`);
  }
  out.push("}");
}
for (const child of childrenOf.get("") ?? []) {
  out.push("");
  emitType(child, "", out);
}

// Every type must land somewhere: a nested type whose parent is missing would silently vanish.
for (const parent of childrenOf.keys()) {
  if (parent !== "" && !facts.messages.some((m) => m.name === parent)) {
    throw new Error(`Nested type parent not found: "${parent}"`);
  }
}
const expected = facts.messages.length + facts.enums.length;
if (emittedNames.size !== expected) throw new Error(`Emitted ${emittedNames.size} types, expected ${expected}`);

mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${out.join("\n")}\n`);
console.log(`wrote ${outPath} (${facts.messages.length} messages, ${facts.enums.length} enums)`);
