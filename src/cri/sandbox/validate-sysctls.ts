import { CriError } from "../../errors/index.js";

/**
 * runc sets a sysctl only inside a namespace the container owns, and fails the container's start
 * otherwise ("sysctl … is not in a separate kernel namespace"), which reached the kubelet as an
 * Internal error from Docker after a sandbox container had been created (found by test/chaos
 * fuzzing). The same rules, checked up front, make it InvalidArgument with nothing created:
 * IPC sysctls need the pod's own IPC namespace, net.* its own network namespace, and the UTS pair
 * its own UTS namespace (which host-network pods share with the host, as Docker does).
 */
const ipcSysctls = new Set(["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"]);
const utsSysctls = new Set(["kernel.domainname", "kernel.hostname"]);

export interface SysctlNamespaces {
  readonly hostNetwork: boolean;
  readonly hostIpc: boolean;
}

export function validateSysctls(sysctls: Readonly<Record<string, string>>, ns: SysctlNamespaces): void {
  for (const [key, value] of Object.entries(sysctls)) {
    // Kubernetes also accepts "/" as the separator (net/ipv4/ip_forward).
    const name = key.replaceAll("/", ".");
    if (!/^[a-z0-9_]+(\.[a-z0-9_-]+)+$/i.test(name)) throw new CriError("InvalidArgument", `Invalid sysctl "${key}": not a sysctl name`);
    if (value === "" || /[\n\0]/.test(value)) throw new CriError("InvalidArgument", `Invalid value ${JSON.stringify(value)} for sysctl "${key}": it must be one line and not empty`);
    const ipc = ipcSysctls.has(name) || name.startsWith("fs.mqueue.");
    const net = name.startsWith("net.");
    const uts = utsSysctls.has(name);
    if (!ipc && !net && !uts) throw new CriError("InvalidArgument", `Invalid sysctl "${key}": it is not namespaced, so a pod cannot set it`);
    if (ipc && ns.hostIpc) throw new CriError("InvalidArgument", `Invalid sysctl "${key}": a pod in the host's IPC namespace cannot set it`);
    if ((net || uts) && ns.hostNetwork) throw new CriError("InvalidArgument", `Invalid sysctl "${key}": a pod in the host's network namespace cannot set it`);
  }
}
