import { addonLoader } from "../util/native-addon.js";

/**
 * Reads many pseudo-files in one job on a libuv pool thread (read-files.c): each item an open
 * descriptor (read again from its start) or a path; undefined where a file could not be read.
 */
export type ReadFiles = (items: readonly (number | string)[]) => Promise<(string | undefined)[]>;

/** Where `npm run build` (scripts/build-addons.mjs) puts the addon, seen from src/ and from dist/src/. */
const addonCandidates = [
  new URL("../../dist/native/read-files.node", import.meta.url),
  new URL("../../native/read-files.node", import.meta.url),
];

const loadAddon = addonLoader(
  {
    name: "read-files",
    exportName: "readFiles",
    candidates: addonCandidates,
    notBuilt: "The read-files addon is not built (run `npm run build`, which needs a C compiler): stats reads run on the event loop",
    cannotLoad: (path, reason) => `Cannot load "${path}": ${reason}; stats reads run on the event loop`,
  },
  // The addon's contract (read-files.c): readFiles((number | string)[]) → Promise<(string | undefined)[]>.
  (fn): ReadFiles => fn as ReadFiles,
);

/** The addon's readFiles, or the reason it is unavailable (the stats then read synchronously). */
export function loadReadFiles(): { readonly readFiles: ReadFiles } | { readonly unavailable: string } {
  try {
    return { readFiles: loadAddon() };
  } catch (err) {
    return { unavailable: err instanceof Error ? err.message : String(err) };
  }
}
