import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { missingBinaries } from "../find-binaries.js";
import { parseCniConfig, type CniNetworkConfig } from "./cni-config.js";

const extensions = [".conf", ".conflist", ".json"];

export interface CniConfigChoice {
  readonly config: CniNetworkConfig | undefined;
  /** Why each file before the chosen one (or every file) was skipped, for NetworkReady=false. */
  readonly problems: readonly string[];
}

/**
 * The first valid config in `dir`, files sorted by name, as the kubelet's CNI plugin chose it. With
 * `binDirs`, a config whose plugin executables are not all there is skipped too (the kubelet
 * validated each list before using it), so that a half-installed add-on does not shadow a working one.
 */
export async function findCniConfig(dir: string, binDirs?: readonly string[]): Promise<CniConfigChoice> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    // readdir rejects with an errno error
    const code = (err as NodeJS.ErrnoException).code;
    return { config: undefined, problems: [`cannot read ${dir}: ${code ?? String(err)}`] };
  }
  const problems: string[] = [];
  for (const name of names.filter((n) => extensions.some((e) => n.endsWith(e))).sort()) {
    const path = join(dir, name);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      // A directory named *.conf, or a file removed while we read: not a config.
      problems.push(`${path}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const parsed = parseCniConfig(path, text);
    if (typeof parsed === "string") {
      problems.push(parsed);
      continue;
    }
    if (binDirs !== undefined) {
      const missing = await missingBinaries(parsed.pluginTypes, binDirs);
      if (missing.length > 0) {
        problems.push(`${path} needs CNI plugins not found in ${binDirs.join(",")}: ${missing.join(", ")}`);
        continue;
      }
    }
    return { config: parsed, problems };
  }
  if (problems.length === 0) problems.push(`no network config found in ${dir}`);
  return { config: undefined, problems };
}
