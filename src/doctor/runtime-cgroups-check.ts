import { errorMessage } from "../errors/index.js";
import { dockerRuntimeProcesses, findRuntimePids, RuntimeCgroupManager } from "../host/index.js";
import { silentLogger } from "../logger/index.js";
import { fail, ok, warn, type CheckResult } from "./doctor-check.js";

/** --runtime-cgroups: can the container manager work with this name, and does it find dockerd and containerd? */
export async function checkRuntimeCgroups(cgroupName: string, driver: "cgroupfs" | "systemd"): Promise<CheckResult> {
  let manager: RuntimeCgroupManager;
  try {
    manager = await RuntimeCgroupManager.create({ cgroupName, driver, log: silentLogger() });
  } catch (err) {
    return fail("Runtime cgroup", `--runtime-cgroups "${cgroupName}" cannot be managed: ${errorMessage(err)}`, "docker-cri still starts, but leaves dockerd where it is");
  }
  const found: string[] = [];
  const missing: string[] = [];
  for (const proc of dockerRuntimeProcesses) {
    try {
      found.push(`${proc.label} (pid ${(await findRuntimePids(proc)).join(", ")})`);
    } catch (err) {
      missing.push(errorMessage(err));
    }
  }
  const mib = Math.round(manager.memoryLimitBytes / (1024 * 1024));
  const summary = `docker-cri will keep ${found.length > 0 ? found.join(" and ") : "dockerd and containerd"} in ${manager.description} with a ${mib} MiB memory limit`;
  if (missing.length > 0) return warn("Runtime cgroup", `${summary}; ${missing.join("; ")}`);
  return ok("Runtime cgroup", summary);
}
