import { CriError } from "../errors/index.js";

/**
 * Narrowing of Docker's JSON from `unknown` into our own types. A field of the wrong type is an
 * Internal error naming the field: it means a daemon we do not understand, not a caller mistake.
 * Go encodes nil slices and maps as `null`, so `null` counts as absent for optional fields.
 */
export class JsonObjectReader {
  readonly #obj: Readonly<Record<string, unknown>>;
  readonly #context: string;
  readonly #prefix: string;

  private constructor(obj: Readonly<Record<string, unknown>>, context: string, prefix: string) {
    this.#obj = obj;
    this.#context = context;
    this.#prefix = prefix;
  }

  /** `context` names the response in messages, e.g. `Docker "info" response`. */
  static of(value: unknown, context: string, prefix = ""): JsonObjectReader {
    if (!isRecord(value)) {
      const what = prefix === "" ? "the body" : `field "${prefix}"`;
      throw new CriError("Internal", `Unexpected ${context}: ${what} is ${describe(value)}, expected an object`);
    }
    return new JsonObjectReader(value, context, prefix);
  }

  keys(): string[] {
    return Object.keys(this.#obj);
  }

  has(field: string): boolean {
    const v = this.#obj[field];
    return v !== undefined && v !== null;
  }

  string(field: string): string {
    const v = this.#required(field);
    if (typeof v !== "string") throw this.#wrongType(field, v, "a string");
    return v;
  }

  optString(field: string, fallback = ""): string {
    return this.has(field) ? this.string(field) : fallback;
  }

  number(field: string): number {
    const v = this.#required(field);
    if (typeof v !== "number" || !Number.isFinite(v)) throw this.#wrongType(field, v, "a number");
    return v;
  }

  optNumber(field: string, fallback = 0): number {
    return this.has(field) ? this.number(field) : fallback;
  }

  boolean(field: string): boolean {
    const v = this.#required(field);
    if (typeof v !== "boolean") throw this.#wrongType(field, v, "a boolean");
    return v;
  }

  optBoolean(field: string, fallback = false): boolean {
    return this.has(field) ? this.boolean(field) : fallback;
  }

  optStringArray(field: string): string[] {
    if (!this.has(field)) return [];
    const v = this.#obj[field];
    if (!Array.isArray(v)) throw this.#wrongType(field, v, "an array of strings");
    return v.map((item: unknown, i) => {
      if (typeof item !== "string") throw this.#wrongType(`${field}[${i}]`, item, "a string");
      return item;
    });
  }

  object(field: string): JsonObjectReader {
    return JsonObjectReader.of(this.#required(field), this.#context, this.#path(field));
  }

  /** The raw value of a field that has no reader of its own (e.g. `DriverStatus`, an array of pairs); undefined when absent. */
  optRaw(field: string): unknown {
    return this.has(field) ? this.#obj[field] : undefined;
  }

  optObject(field: string): JsonObjectReader | undefined {
    return this.has(field) ? this.object(field) : undefined;
  }

  /** Elements of an array of objects; absent or null is empty. */
  optObjectArray(field: string): JsonObjectReader[] {
    if (!this.has(field)) return [];
    const v = this.#obj[field];
    if (!Array.isArray(v)) throw this.#wrongType(field, v, "an array of objects");
    return v.map((item: unknown, i) => JsonObjectReader.of(item, this.#context, `${this.#path(field)}[${i}]`));
  }

  /** A `map[string]string` such as Labels; absent or null is empty. */
  optStringMap(field: string): Record<string, string> {
    const inner = this.optObject(field);
    const out: Record<string, string> = {};
    if (inner === undefined) return out;
    for (const key of inner.keys()) out[key] = inner.string(key);
    return out;
  }

  #required(field: string): unknown {
    const v = this.#obj[field];
    if (v === undefined || v === null) {
      throw new CriError("Internal", `Unexpected ${this.#context}: field "${this.#path(field)}" is missing`);
    }
    return v;
  }

  #wrongType(field: string, value: unknown, expected: string): CriError {
    return new CriError("Internal", `Unexpected ${this.#context}: field "${this.#path(field)}" is ${describe(value)}, expected ${expected}`);
  }

  #path(field: string): string {
    return this.#prefix === "" ? field : `${this.#prefix}.${field}`;
  }
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const t = typeof value;
  return t === "object" ? "an object" : `a ${t}`;
}
