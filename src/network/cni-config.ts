import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** A network configuration list, normalised: a single .conf becomes a list of one plugin. */
export interface CniNetworkConfig {
  path: string;
  name: string;
  cniVersion: string;
  /** Plugin `type`s in order; each names a binary in --cni-bin-dir. */
  pluginTypes: string[];
  /** The file's JSON, kept for executing plugins later. */
  raw: Record<string, unknown>;
}

const extensions = [".conf", ".conflist", ".json"];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses one config file's text; returns a reason string when it is not a usable network config. */
export function parseCniConfig(path: string, text: string): CniNetworkConfig | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return `${path}: invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!isRecord(json)) return `${path}: not a JSON object`;
  const name = json.name;
  const cniVersion = typeof json.cniVersion === "string" ? json.cniVersion : "0.2.0";
  if (typeof name !== "string" || name === "") return `${path}: no network "name"`;
  const isList = path.endsWith(".conflist") || Array.isArray(json.plugins);
  if (isList) {
    const plugins = json.plugins;
    if (!Array.isArray(plugins) || plugins.length === 0) return `${path}: "plugins" is empty or missing`;
    const types: string[] = [];
    for (const p of plugins) {
      if (!isRecord(p) || typeof p.type !== "string" || p.type === "") return `${path}: a plugin has no "type"`;
      types.push(p.type);
    }
    return { path, name, cniVersion, pluginTypes: types, raw: json };
  }
  if (typeof json.type !== "string" || json.type === "") return `${path}: no plugin "type"`;
  return { path, name, cniVersion, pluginTypes: [json.type], raw: json };
}

/**
 * The first valid config in `dir`, files sorted by name as the kubelet's CNI plugin did. Returns the
 * reasons the others were skipped so that NetworkReady=false can say what is wrong.
 */
export async function findCniConfig(dir: string): Promise<{ config: CniNetworkConfig | undefined; problems: string[] }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code; // readdir rejects with an errno error
    return { config: undefined, problems: [`cannot read ${dir}: ${code ?? String(err)}`] };
  }
  const problems: string[] = [];
  for (const name of names.filter((n) => extensions.some((e) => n.endsWith(e))).sort()) {
    const path = join(dir, name);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      problems.push(`${path}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const parsed = parseCniConfig(path, text);
    if (typeof parsed === "string") problems.push(parsed);
    else return { config: parsed, problems };
  }
  if (problems.length === 0) problems.push(`no network config found in ${dir}`);
  return { config: undefined, problems };
}
