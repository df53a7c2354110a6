import { compareVersions, isSupportedVersion, isValidVersion, newestCniVersion, supportedCniVersions } from "./cni-version.js";
import { isRecord } from "./json.js";

/** One plugin of a network configuration list. */
export interface CniPluginConfig {
  readonly type: string;
  /** The runtime capabilities it asks for (`portMappings`, `bandwidth`, `ipRanges`, `dns`, …). */
  readonly capabilities: ReadonlySet<string>;
  /** Its JSON object as written; `name`, `cniVersion`, `prevResult` and `runtimeConfig` are injected per call. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A network configuration list, normalised: a single-plugin `.conf` becomes a list of one, as libcni does. */
export interface CniNetworkConfig {
  /** The file it came from; "" for a generated one (kubenet) or one read back from the result cache. */
  readonly path: string;
  readonly name: string;
  readonly cniVersion: string;
  /** The list's `disableCheck`: CHECK must not be run. */
  readonly disableCheck: boolean;
  /** The list's `disableGC`: GC must not be run. */
  readonly disableGC: boolean;
  readonly plugins: readonly CniPluginConfig[];
  /** Plugin `type`s in order; each names an executable in --cni-bin-dir. */
  readonly pluginTypes: readonly string[];
  /** The list as JSON: what the result cache keeps, so that DEL after a restart uses the config ADD used. */
  readonly bytes: string;
}

/** Network names as the spec allows them. */
const networkName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Parses a config file's text (`.conflist`, or a `.conf`/`.json` holding one plugin; a `.conf` or
 * `.json` that has a `plugins` array is taken as a list). Returns a reason when it is not usable.
 */
export function parseCniConfig(path: string, text: string): CniNetworkConfig | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return `${path}: invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!isRecord(json)) return `${path}: not a JSON object`;
  const isList = path.endsWith(".conflist") || Array.isArray(json.plugins);
  if (isList) return parseCniConfigList(json, path, text);
  // A single plugin's config: the list around it takes its name and version (libcni's ConfListFromConf).
  const list = { name: json.name, cniVersion: json.cniVersion, plugins: [json] };
  return parseCniConfigList(list, path, JSON.stringify(list));
}

/** Parses a list object; `bytes` is the text to cache for it. */
export function parseCniConfigList(json: unknown, path: string, bytes: string): CniNetworkConfig | string {
  const where = path === "" ? "network config" : path;
  if (!isRecord(json)) return `${where}: not a JSON object`;
  const name = json.name;
  if (typeof name !== "string" || name === "") return `${where}: no network "name"`;
  if (!networkName.test(name)) return `${where}: invalid network name "${name}"`;
  const version = pickVersion(json);
  if (typeof version !== "object") return `${where}: ${version}`;
  const plugins = json.plugins;
  if (!Array.isArray(plugins) || plugins.length === 0) return `${where}: "plugins" is empty or missing`;
  const parsed: CniPluginConfig[] = [];
  for (const [i, p] of plugins.entries()) {
    if (!isRecord(p) || typeof p.type !== "string" || p.type === "") return `${where}: plugin ${i} has no "type"`;
    if (p.type.includes("/") || p.type === "." || p.type === "..") return `${where}: plugin ${i} has an invalid "type" "${p.type}"`;
    const caps = new Set<string>();
    if (isRecord(p.capabilities)) {
      for (const [cap, on] of Object.entries(p.capabilities)) if (on === true) caps.add(cap);
    }
    parsed.push({ type: p.type, capabilities: caps, raw: p });
  }
  const disableCheck = readBool(json, "disableCheck");
  const disableGC = readBool(json, "disableGC");
  if (typeof disableCheck === "string") return `${where}: ${disableCheck}`;
  if (typeof disableGC === "string") return `${where}: ${disableGC}`;
  return {
    path,
    name,
    cniVersion: version.version,
    disableCheck,
    disableGC,
    plugins: parsed,
    pluginTypes: parsed.map((p) => p.type),
    bytes,
  };
}

/**
 * The version to speak: `cniVersion`, or (spec 1.1.0) the newest entry of `cniVersions` we implement.
 * A config without either is 0.1.0, as the plugins' own decoders take it.
 */
function pickVersion(json: Record<string, unknown>): { version: string } | string {
  const single = json.cniVersion;
  if (single !== undefined && typeof single !== "string") return `"cniVersion" is not a string`;
  const candidates: string[] = [];
  if (typeof single === "string" && single !== "") candidates.push(single);
  const many = json.cniVersions;
  if (many !== undefined) {
    if (!Array.isArray(many) || many.some((v) => typeof v !== "string")) return `"cniVersions" is not a list of strings`;
    // The check above makes every entry a string.
    for (const v of many as string[]) candidates.push(v);
  }
  if (candidates.length === 0) return { version: "0.1.0" };
  for (const v of candidates) if (!isValidVersion(v)) return `invalid CNI version "${v}"`;
  const usable = candidates.filter((v) => compareVersions(v, newestCniVersion) <= 0).sort(compareVersions);
  const best = usable[usable.length - 1];
  if (best === undefined || !isSupportedVersion(best)) {
    return `CNI version ${candidates.map((v) => `"${v}"`).join(", ")} is not supported (docker-cri speaks ${supportedCniVersions.join(", ")})`;
  }
  return { version: best };
}

/** libcni accepts a boolean or the strings "true"/"false". */
function readBool(json: Record<string, unknown>, key: string): boolean | string {
  const v = json[key];
  if (v === undefined) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && (v.toLowerCase() === "true" || v.toLowerCase() === "false")) return v.toLowerCase() === "true";
  return `invalid "${key}" ${JSON.stringify(v)}: expected true or false`;
}
