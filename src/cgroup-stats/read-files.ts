import { addonLoader } from "../util/native-addon.js";

/**
 * Reads many pseudo-files in one job on a libuv pool thread (read-files.c): each item an open
 * descriptor (read again from its start) or a path; undefined where a file could not be read.
 */
export type ReadFiles = (items: readonly (number | string)[]) => Promise<(string | undefined)[]>;

/**
 * The same reads, parsed on the pool thread (read-files.c's readValues): keys[i] undefined reads item
 * i as one unsigned integer, a list looks up those "key value" lines; the values one slot per item (or
 * per key) and each slot's state (counter-files.ts: slotValue, slotNone, slotUnreadable).
 */
export type ReadValues = (items: readonly (number | string)[], keys: readonly (readonly string[] | undefined)[]) => Promise<[BigUint64Array, Uint8Array]>;

/** Where `npm run build` (scripts/build-addons.mjs) puts the addon, seen from src/ and from dist/src/. */
const addonCandidates = [
  new URL("../../dist/native/read-files.node", import.meta.url),
  new URL("../../native/read-files.node", import.meta.url),
];

const spec = (exportName: string) => ({
  name: "read-files",
  exportName,
  candidates: addonCandidates,
  notBuilt: "The read-files addon is not built (run `npm run build`, which needs a C compiler): stats reads run on the event loop",
  cannotLoad: (path: string, reason: string) => `Cannot load "${path}": ${reason}; stats reads run on the event loop`,
});
// The addon's contract (read-files.c): the two functions typed above.
const loadFiles = addonLoader(spec("readFiles"), (fn): ReadFiles => fn as ReadFiles);
const loadValues = addonLoader(spec("readValues"), (fn): ReadValues => fn as ReadValues);

/** The addon's functions, or the reason it is unavailable (the stats then read synchronously). */
export function loadReadFiles(): { readonly readFiles: ReadFiles; readonly readValues: ReadValues } | { readonly unavailable: string } {
  try {
    return { readFiles: loadFiles(), readValues: loadValues() };
  } catch (err) {
    return { unavailable: err instanceof Error ? err.message : String(err) };
  }
}
