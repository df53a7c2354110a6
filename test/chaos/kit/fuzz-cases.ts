/**
 * Bad-input cases generated from the CRI schemas themselves (the protobuf-es descriptors in src/gen):
 * every field of every request message, to a bounded depth, is set to values a kubelet would never
 * send — missing, empty, oversized, traversal paths, type extremes, unknown enum numbers, huge lists
 * and maps — one field at a time on top of a plausible request for that method. Further cases combine
 * several such mutations, damage a valid encoding at the wire level (flipped bytes, truncation,
 * invalid UTF-8, wrong wire types, overlong lengths) or are plain random bytes.
 *
 * Cases are lazy (`build` encodes when called) so that 10,000 of them cost no memory up front.
 */
import { clone, create, toBinary, type DescField, type DescMessage, type DescMethod, type Message } from "@bufbuild/protobuf";
import { ScalarType } from "@bufbuild/protobuf";
import { Rng } from "./scale.js";

export interface FuzzCase {
  readonly method: DescMethod;
  /** What was done, for the failure report: "config.linux.resources.memory_limit_in_bytes = -1". */
  readonly label: string;
  /** The family of case, for the counts printed at the end. */
  readonly kind: "field" | "combined" | "wire" | "random";
  build(): Uint8Array;
}

/** A plausible request per method (ids of real objects, valid names): mutations start from it. */
export type Baselines = ReadonlyMap<DescMethod, () => Message>;

/** One way to change a request: sets one value somewhere inside it. */
interface Mutation {
  readonly label: string;
  apply(msg: Message): void;
}

const oversized = 70_000;
const huge = 1_100_000;

/** Strings no kubelet sends: empty, whitespace, oversized, traversal, NUL, shell and selector syntax. */
export const evilStrings: readonly string[] = [
  "",
  " ",
  "x".repeat(300),
  "x".repeat(oversized),
  "../../../../../etc/passwd",
  "/etc/shadow",
  "a/../../../b",
  "/",
  "nul\u0000byte",
  "\n\r\t",
  "☃ ünïcödé 🚀",
  "$(reboot)`id`;|&",
  "a=b,c!=d,e in (f",
  "*",
  "-rf",
  "%00%2e%2e%2f",
  "C:\\Windows\\System32",
];

function intValues(scalar: ScalarType): readonly (number | bigint)[] {
  switch (scalar) {
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return [0, -1, 1, 2147483647, -2147483648];
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return [0, 1, 4294967295];
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return [0n, -1n, 1n, 9223372036854775807n, -9223372036854775808n, 1_000_000_000_000n];
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return [0n, 1n, 18446744073709551615n, 9223372036854775808n];
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return [0, -1, Number.NaN, Number.POSITIVE_INFINITY, -1e300];
    default:
      return [];
  }
}

/** Values for a singular scalar or enum field. */
function scalarValues(field: DescField, rng: Rng): readonly unknown[] {
  if (field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum")) {
    return [...field.enum.values.map((v) => v.number), 99, -7];
  }
  const scalar = field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar") ? field.scalar : undefined;
  switch (scalar) {
    case ScalarType.STRING:
      return [...evilStrings, "x".repeat(huge)];
    case ScalarType.BOOL:
      return [true, false];
    case ScalarType.BYTES:
      return [new Uint8Array(0), rng.bytes(1024), rng.bytes(huge)];
    case undefined:
      return [];
    default:
      return intValues(scalar);
  }
}

function describeValue(v: unknown): string {
  if (typeof v === "string") return v.length > 40 ? `"${v.slice(0, 12)}…" (${v.length} chars)` : JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  return String(v);
}

/** Reads (creating when absent) the sub-message at `field` of `msg`. */
function subMessage(msg: Message, field: DescField & { fieldKind: "message" }): Message {
  const cur: unknown = Reflect.get(msg, field.localName);
  if (typeof cur === "object" && cur !== null) return cur as Message; // a set message field holds a Message
  const fresh = create(field.message);
  Reflect.set(msg, field.localName, fresh);
  return fresh;
}

/** Every mutation of `desc` and, up to `depth`, of the messages inside it. */
function mutationsOf(desc: DescMessage, rng: Rng, depth: number, prefix: string, seen: ReadonlySet<string>): Mutation[] {
  const out: Mutation[] = [];
  for (const field of desc.fields) {
    const name = prefix + field.name;
    const set = (label: string, value: () => unknown): void => {
      out.push({ label, apply: (m) => { Reflect.set(m, field.localName, value()); } });
    };
    switch (field.fieldKind) {
      case "scalar":
      case "enum":
        for (const v of scalarValues(field, rng)) set(`${name} = ${describeValue(v)}`, () => v);
        break;
      case "message": {
        const sub = field.message;
        set(`${name} absent`, () => undefined);
        set(`${name} empty`, () => create(sub));
        if (depth > 0 && !seen.has(sub.typeName)) {
          const inner = mutationsOf(sub, rng, depth - 1, `${name}.`, new Set([...seen, sub.typeName]));
          for (const m of inner) out.push({ label: m.label, apply: (msg) => { m.apply(subMessage(msg, field)); } });
        }
        break;
      }
      case "list": {
        set(`${name} = []`, () => []);
        if (field.listKind === "message") {
          const sub = field.message;
          set(`${name} = 2,000 empty items`, () => Array.from({ length: 2000 }, () => create(sub)));
          if (depth > 0 && !seen.has(sub.typeName)) {
            const inner = mutationsOf(sub, rng, depth - 1, `${name}[0].`, new Set([...seen, sub.typeName]));
            for (const m of inner) {
              out.push({
                label: m.label,
                apply: (msg) => {
                  const item = create(sub);
                  m.apply(item);
                  Reflect.set(msg, field.localName, [item]);
                },
              });
            }
          }
        } else {
          const values = scalarValues(field, rng).filter((v) => !(typeof v === "string" && v.length >= huge) && !(v instanceof Uint8Array && v.length >= huge));
          set(`${name} = every odd value`, () => [...values]);
          const first = values[0];
          if (first !== undefined) set(`${name} = 10,000 items`, () => Array.from({ length: 10_000 }, (_, i) => (typeof first === "string" ? `v${i}` : first)));
          for (const v of values) set(`${name} = [${describeValue(v)}]`, () => [v]);
        }
        break;
      }
      case "map": {
        set(`${name} = {}`, () => ({}));
        if (field.mapKind === "message") {
          const sub = field.message;
          set(`${name} = {"": empty}`, () => ({ "": create(sub) }));
        } else if (field.mapKind === "scalar" && field.scalar === ScalarType.STRING) {
          set(`${name} = 5,000 entries`, () => Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, `v${i}`])));
          for (const s of evilStrings) {
            set(`${name} has key ${describeValue(s)}`, () => ({ [s]: "v" }));
            set(`${name} has value ${describeValue(s)}`, () => ({ key: s }));
          }
        } else {
          set(`${name} = {"": 0}`, () => ({ "": field.mapKind === "scalar" && intValues(field.scalar)[0] !== undefined ? intValues(field.scalar)[0] : 0 }));
        }
        break;
      }
    }
  }
  return out;
}

/** Damages a valid encoding at the wire level. */
function wireDamage(bytes: Uint8Array, rng: Rng): { label: string; bytes: Uint8Array } {
  const b = Buffer.from(bytes);
  switch (rng.int(6)) {
    case 0: {
      const n = 1 + rng.int(8);
      for (let i = 0; i < n && b.length > 0; i++) b[rng.int(b.length)] = rng.int(256);
      return { label: `${n} random bytes flipped`, bytes: b };
    }
    case 1: {
      const cut = b.length === 0 ? 0 : rng.int(b.length);
      return { label: `truncated to ${cut} of ${b.length} bytes`, bytes: b.subarray(0, cut) };
    }
    case 2: {
      // Field 1 as a length-delimited value holding invalid UTF-8 (field 1 is a string or a message in most requests).
      const bad = Buffer.from([0x0a, 4, 0xff, 0xfe, 0xc0, 0x80]);
      return { label: "field 1 holds invalid UTF-8", bytes: Buffer.concat([bad, b]) };
    }
    case 3: {
      // Field 1..15 with a wire type that does not match its declaration.
      const field = 1 + rng.int(15);
      const wireType = rng.pick([0, 1, 2, 5]);
      const tag = (field << 3) | wireType;
      const value = wireType === 0 ? [0x96, 0x01] : wireType === 1 ? [1, 2, 3, 4, 5, 6, 7, 8] : wireType === 5 ? [1, 2, 3, 4] : [3, 0x61, 0x62, 0x63];
      return { label: `field ${field} with wire type ${wireType}`, bytes: Buffer.concat([b, Buffer.from([tag, ...value])]) };
    }
    case 4: {
      // A length prefix far beyond the message end.
      return { label: "overlong length prefix", bytes: Buffer.concat([b, Buffer.from([0x12, 0xff, 0xff, 0xff, 0x7f, 0x61])]) };
    }
    default: {
      // Deeply nested unknown groups (start-group tags with no end).
      const depth = 50 + rng.int(500);
      return { label: `${depth} unterminated nested groups`, bytes: Buffer.concat([b, Buffer.alloc(depth, (99 << 3) | 3)]) };
    }
  }
}

export interface GenerateOptions {
  readonly methods: readonly DescMethod[];
  readonly baselines: Baselines;
  readonly rng: Rng;
  /** Total number of cases; field mutations are sampled down (or topped up by combinations) to fit. */
  readonly count: number;
  /** How deep nested messages are mutated (default 4). */
  readonly depth?: number;
  /** Mutations (by method and label) to leave out, e.g. values that would pull from the internet. */
  readonly skip?: (method: DescMethod, label: string) => boolean;
}

/**
 * The cases: every single-field mutation of every method (sampled when there are more than 60 % of
 * `count`), then combinations of 2–4 mutations, wire damage of baselines and random bytes, each about
 * a third of the rest.
 */
export function generateCases(opts: GenerateOptions): FuzzCase[] {
  const { rng } = opts;
  const perMethod = new Map<DescMethod, Mutation[]>();
  for (const method of opts.methods) {
    perMethod.set(method, mutationsOf(method.input, rng, opts.depth ?? 4, "", new Set([method.input.typeName])).filter((m) => !(opts.skip?.(method, m.label) ?? false)));
  }
  const base = (method: DescMethod): Message => {
    const make = opts.baselines.get(method);
    return make === undefined ? create(method.input) : clone(method.input, make() as never); // baselines are built from method.input
  };
  const encode = (method: DescMethod, msg: Message): Uint8Array => toBinary(method.input, msg as never); // msg was created from method.input

  const single: FuzzCase[] = [];
  for (const [method, mutations] of perMethod) {
    single.push({ method, label: "empty request", kind: "field", build: () => new Uint8Array(0) });
    for (const m of mutations) {
      single.push({
        method,
        label: m.label,
        kind: "field",
        build: () => {
          const msg = base(method);
          m.apply(msg);
          return encode(method, msg);
        },
      });
    }
  }
  const singleBudget = Math.floor(opts.count * 0.6);
  const chosen = single.length <= singleBudget ? single : sample(single, singleBudget, rng);
  const rest = opts.count - chosen.length;
  const cases: FuzzCase[] = [...chosen];
  const methods = opts.methods;
  const withMutations = methods.filter((m) => (perMethod.get(m) ?? []).length > 0);
  for (let i = 0; i < rest; i++) {
    const which = i % 3;
    const method = rng.pick(which === 0 ? withMutations : methods);
    if (which === 0) {
      const mutations = perMethod.get(method) ?? [];
      const picked = Array.from({ length: 2 + rng.int(3) }, () => rng.pick(mutations));
      cases.push({
        method,
        label: picked.map((m) => m.label).join(" & "),
        kind: "combined",
        build: () => {
          const msg = base(method);
          for (const m of picked) m.apply(msg);
          return encode(method, msg);
        },
      });
    } else if (which === 1) {
      const seed = rng.int(2 ** 31);
      cases.push({
        method,
        label: "wire damage",
        kind: "wire",
        build: () => wireDamage(encode(method, base(method)), new Rng(seed)).bytes,
      });
    } else {
      const n = rng.pick([1, 2, 7, 64, 512, 4096]);
      const bytes = rng.bytes(n);
      cases.push({ method, label: `${n} random bytes`, kind: "random", build: () => bytes });
    }
  }
  return shuffleWithinKinds(cases, rng);
}

function sample<T>(items: readonly T[], n: number, rng: Rng): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const a = copy[i] as T; // i and j are in range
    copy[i] = copy[j] as T;
    copy[j] = a;
  }
  return copy.slice(0, n);
}

/** Field cases first (they need the fixtures intact), the rest shuffled. */
function shuffleWithinKinds(cases: FuzzCase[], rng: Rng): FuzzCase[] {
  const fields = cases.filter((c) => c.kind === "field");
  const others = sample(cases.filter((c) => c.kind !== "field"), cases.length - fields.length, rng);
  return [...fields, ...others];
}
