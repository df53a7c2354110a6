// Host-level operations that are no CRI RPC: the kubelet's container manager for the runtime (the
// runtime's cgroup and OOM score), what the host allows (capabilities, OOM score floor) and systemd's
// readiness protocol. Imports only errors/logger/util.
export { cgroupDir, parseCgroupLayout, readCgroupLayout } from "./cgroup-layout.js";
export type { CgroupLayout, CgroupMount } from "./cgroup-layout.js";
export { lowerOomScoreAdj, runtimeOomScoreAdj } from "./oom-score.js";
export type { OomScoreChange } from "./oom-score.js";
export { parseProcCgroups, readProcCgroups } from "./proc-cgroups.js";
export type { ProcCgroup } from "./proc-cgroups.js";
export {
  minRuntimeMemoryBytes,
  RuntimeCgroupManager,
  runtimeCgroupCheckIntervalMs,
  runtimeMemoryLimit,
  runtimeMemoryPercent,
  startRuntimeCgroupManager,
} from "./runtime-cgroup-manager.js";
export type { EnsureReport, ManagedPid, RuntimeCgroupManagerOptions } from "./runtime-cgroup-manager.js";
export { dockerRuntimeProcesses, findRuntimePids, inOurPidNamespace } from "./runtime-processes.js";
export type { RuntimeProcess } from "./runtime-processes.js";
export { resolveGroupId } from "./group-id.js";
export { createSdNotifier } from "./sd-notify.js";
export type { SdNotifier } from "./sd-notify.js";
export type { CommandRunner } from "./systemd-unit-cgroup.js";
export { clampOomScoreAdj, parseHostLimits, readHostLimits } from "./host-limits.js";
export type { HostLimits } from "./host-limits.js";
