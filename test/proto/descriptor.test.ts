// Proves proto/runtime/v1/api.proto and the code generated from it (src/gen) are wire-identical to the CRI
// reference facts in ../shared/cri-api/cri-v1-descriptor.json (kubelets talk to us with upstream's proto).
import { describe, test } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { ImageService, RuntimeService, file_runtime_v1_api } from "../../src/gen/index.js";
import { countFacts } from "./facts.js";
import { diffFacts } from "./diff-facts.js";
import { factsFromProtoSource } from "./protobufjs-facts.js";
import { factsFromGenerated } from "./protobuf-es-facts.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const protoPath = join(repoRoot, "proto", "runtime", "v1", "api.proto");
const descriptorPath = join(repoRoot, "..", "shared", "cri-api", "cri-v1-descriptor.json");
const shownDiffs = 30;

/** Fails with the first differences spelled out; an empty list passes. */
function assertNoDiffs(diffs: readonly string[], what: string): void {
  if (diffs.length === 0) return;
  const more = diffs.length > shownDiffs ? `\n  … and ${diffs.length - shownDiffs} more` : "";
  assert.fail(`${what}: ${diffs.length} difference(s):\n  ${diffs.slice(0, shownDiffs).join("\n  ")}${more}`);
}

/** The reference facts, or undefined after marking the test skipped (the shared checkout is optional). */
function loadDescriptor(t: TestContext): Record<string, unknown> | undefined {
  if (!existsSync(descriptorPath)) {
    const why = `reference descriptor not found at "${descriptorPath}": wire identity with upstream CRI is not checked`;
    t.diagnostic(why);
    t.skip(why);
    return undefined;
  }
  const raw: unknown = JSON.parse(readFileSync(descriptorPath, "utf8"));
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`Not a JSON object: "${descriptorPath}"`);
  return { ...raw };
}

function pick(obj: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, obj[k]]));
}

/** The generated side cannot keep message/enum interleaving, so those lists are compared keyed by name. */
function keyByName(list: unknown, what: string): Record<string, unknown> {
  if (!Array.isArray(list)) throw new Error(`Descriptor "${what}" is not an array`);
  const items: readonly unknown[] = list;
  const out: Record<string, unknown> = {};
  for (const el of items) {
    if (typeof el !== "object" || el === null || !("name" in el) || typeof el.name !== "string") {
      throw new Error(`Descriptor "${what}" has an element without a name`);
    }
    out[el.name] = el;
  }
  return out;
}

const fileKeys = ["syntax", "package", "imports", "fileOptions", "services", "messages", "enums", "counts"] as const;

describe("CRI runtime.v1 proto", () => {
  const protoFacts = factsFromProtoSource(readFileSync(protoPath, "utf8"));
  const ours = { ...protoFacts, counts: countFacts(protoFacts) };
  const generated = factsFromGenerated(file_runtime_v1_api, [RuntimeService, ImageService]);

  test("proto/runtime/v1/api.proto is wire-identical to the reference descriptor", (t) => {
    const ref = loadDescriptor(t);
    if (ref === undefined) return;
    assertNoDiffs(diffFacts(pick(ref, fileKeys), pick(ours, fileKeys)), `"${protoPath}" vs "${descriptorPath}"`);
  });

  test("proto/runtime/v1/api.proto has the expected counts", () => {
    const { services, rpcs, messages, enums, enumValues, fields, nestedTypes } = ours.counts;
    assert.deepEqual(
      { services, rpcs, messages, enums, enumValues, fields, nestedTypes },
      { services: 2, rpcs: 43, messages: 175, enums: 11, enumValues: 95, fields: 478, nestedTypes: 1 },
    );
  });

  test("src/gen services and types match the reference descriptor", (t) => {
    const ref = loadDescriptor(t);
    if (ref === undefined) return;
    const expected = {
      package: ref["package"],
      services: ref["services"],
      messages: keyByName(ref["messages"], "messages"),
      enums: keyByName(ref["enums"], "enums"),
    };
    assertNoDiffs(diffFacts(expected, generated), "src/gen vs reference descriptor (stale? run `npm run gen`)");
  });

  test("src/gen is generated from the current proto", () => {
    // Runs without the shared checkout too: a proto edited without `npm run gen` still fails here.
    const expected = {
      package: protoFacts.package,
      services: protoFacts.services,
      messages: keyByName(protoFacts.messages, "messages"),
      enums: keyByName(protoFacts.enums, "enums"),
    };
    assertNoDiffs(diffFacts(expected, generated), "src/gen vs proto/runtime/v1/api.proto (stale? run `npm run gen`)");
  });

  test("the generated file declares exactly RuntimeService and ImageService", () => {
    assert.deepEqual(
      file_runtime_v1_api.services.map((s) => s.typeName),
      ["runtime.v1.RuntimeService", "runtime.v1.ImageService"],
    );
    assert.equal(RuntimeService.methods.length + ImageService.methods.length, 43);
  });
});
