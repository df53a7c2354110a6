import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/index.js";
import { findCniConfig, kubenetBinaries } from "../network/index.js";
import { fail, ok, warn, type CheckResult } from "./doctor-check.js";

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function missingIn(names: readonly string[], dirs: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) {
    let found = false;
    for (const dir of dirs) {
      try {
        await access(join(dir, name), constants.X_OK);
        found = true;
        break;
      } catch {
        // not here; try the next directory
      }
    }
    if (!found) missing.push(name);
  }
  return missing;
}

/** The pod network the flags select: CNI config and binaries, kubenet's binaries and CIDR, or Docker's bridge. */
export async function checkNetwork(config: Config): Promise<CheckResult> {
  if (config.networkPlugin === "") {
    return ok("Network", "no network plugin (--network-plugin=): pods use Docker's own bridge, reachable from this node only");
  }
  const binDirs = config.cniBinDirs;
  const absentDirs: string[] = [];
  for (const dir of binDirs) if (!(await isDir(dir))) absentDirs.push(dir);
  const binHint = `Install the CNI plugins (apt-get install containernetworking-plugins, or the release tarball) into ${binDirs.join(", ")}`;

  if (config.networkPlugin === "kubenet") {
    const missing = await missingIn(kubenetBinaries, binDirs);
    if (missing.length > 0) return fail("Network", `kubenet needs CNI plugins missing from ${binDirs.join(", ")}: ${missing.join(", ")}`, binHint);
    if (config.podCidr === "") return warn("Network", "kubenet's binaries are in place; it has no pod CIDR until the kubelet sends one (or give --pod-cidr)");
    return ok("Network", `kubenet with pod CIDR ${config.podCidr}; bridge, host-local, loopback and portmap found`);
  }

  const { config: cni, problems } = await findCniConfig(config.cniConfDir);
  if (cni === undefined) {
    const empty = problems.length === 1 && (problems[0]?.startsWith("no network config found") === true || problems[0]?.startsWith("cannot read") === true);
    const summary = `no usable CNI network configuration in "${config.cniConfDir}" (${problems.join("; ")}): the node reports NetworkReady=false and no pod can start`;
    const hint = "Install a pod network add-on (it writes its config there), or start docker-cri with --network-plugin= to use Docker's bridge";
    return empty ? warn("CNI", summary, hint) : fail("CNI", summary, "Fix or remove the invalid files; the first valid one by name is used");
  }
  const missing = await missingIn(cni.pluginTypes, binDirs);
  if (missing.length > 0) {
    const dirs = absentDirs.length > 0 ? ` (${absentDirs.join(", ")} does not exist)` : "";
    return fail("CNI", `"${cni.path}" (network "${cni.name}") needs plugins missing from ${binDirs.join(", ")}${dirs}: ${missing.join(", ")}`, binHint);
  }
  return ok("CNI", `network "${cni.name}" from "${cni.path}"; its plugins (${cni.pluginTypes.join(", ")}) are in ${binDirs.join(", ")}`);
}
