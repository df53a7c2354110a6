import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { CriError, errorMessage } from "../errors/index.js";

/** One of our C addons (scripts/build-addons.mjs) and the one function it must export. */
export interface NativeAddonSpec {
  /** Its name in messages, e.g. "netns-connect". */
  readonly name: string;
  readonly exportName: string;
  /** Where the build puts it, seen from src/ (tsx) and dist/src/ (tsc); the first that exists is loaded. */
  readonly candidates: readonly URL[];
  /** Unavailable's message when no candidate exists. */
  readonly notBuilt: string;
  /** Unavailable's message when loading fails. */
  readonly cannotLoad: (path: string, reason: string) => string;
}

/** The exported function before its caller states the addon's contract. */
export type AddonFunction = (...args: never[]) => unknown;

/**
 * Loads the addon on first use and remembers the result, or the failure: a CriError (Unavailable when
 * it is not built or cannot load, Internal when it lacks the function), thrown by every call.
 */
export function addonLoader<T>(spec: NativeAddonSpec, bind: (fn: AddonFunction) => T): () => T {
  let loaded: { readonly value: T } | CriError | undefined;
  return () => {
    loaded ??= load(spec, bind);
    if (loaded instanceof CriError) throw loaded;
    return loaded.value;
  };
}

function load<T>(spec: NativeAddonSpec, bind: (fn: AddonFunction) => T): { readonly value: T } | CriError {
  const path = spec.candidates.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
  if (path === undefined) return new CriError("Unavailable", spec.notBuilt);
  try {
    const mod: unknown = createRequire(import.meta.url)(path);
    const fn: unknown = typeof mod === "object" && mod !== null ? Reflect.get(mod, spec.exportName) : undefined;
    if (!isFunction(fn)) return new CriError("Internal", `Invalid ${spec.name} addon at "${path}": it exports no ${spec.exportName} function`);
    return { value: bind(fn) };
  } catch (err) {
    return new CriError("Unavailable", spec.cannotLoad(path, errorMessage(err)), { cause: err });
  }
}

function isFunction(value: unknown): value is AddonFunction {
  return typeof value === "function";
}
