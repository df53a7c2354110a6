import type { ContainerInspect, ContainerSummary } from "../docker/index.js";

/**
 * An inspect-shaped record from a list entry, for a container whose inspect did not answer in time:
 * id, name, image, creation time, state and labels are right; everything only inspect knows (pid,
 * times, host config, network) is empty. The cache marks it partial and keeps trying the inspect.
 */
export function partialInspect(s: ContainerSummary): ContainerInspect {
  const running = s.state === "running" || s.state === "paused" || s.state === "restarting";
  return {
    id: s.id,
    name: s.names[0] ?? "",
    created: new Date(s.created * 1000).toISOString(),
    imageId: s.imageId,
    restartCount: 0,
    state: { status: s.state, running, paused: s.state === "paused", restarting: s.state === "restarting", oomKilled: false, dead: s.state === "dead", pid: 0, exitCode: 0, error: "", startedAt: "", finishedAt: "" },
    config: { hostname: "", domainname: "", user: "", image: s.image, labels: s.labels, env: [], cmd: [], entrypoint: [], workingDir: "", tty: false, openStdin: false, stdinOnce: false, stopSignal: "" },
    hostConfig: {
      networkMode: "", ipcMode: "", pidMode: "", utsMode: "", runtime: "", cgroupParent: "", privileged: false, readonlyRootfs: false, securityOpt: [], sysctls: {}, oomScoreAdj: 0,
      groupAdd: [], capAdd: [], capDrop: [], binds: [], portBindings: {}, cpuShares: 0, cpuQuota: 0, cpuPeriod: 0, cpusetCpus: "", cpusetMems: "", memory: 0, memorySwap: 0, shmSize: 0,
      devices: [], maskedPaths: undefined, readonlyPaths: undefined,
    },
    networkSettings: { networks: {}, ports: {}, sandboxKey: "" },
    logPath: "",
    resolvConfPath: "",
    hostsPath: "",
    hostnamePath: "",
    mounts: [],
  };
}
