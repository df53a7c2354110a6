// Container and pod resource usage read straight from the kernel: cgroup v1 and v2 counters, a CPU
// rate sampler, pod network counters from /proc, and background writable-layer sizes. Knows nothing
// of Docker or CRI; imports only errors/log/host.
export { keyValue, parseKeyValues, parseUint } from "./cgroup-files.js";
export { CgroupLocator } from "./cgroup-locator.js";
export type { CgroupOwner } from "./cgroup-locator.js";
export { containerCgroupName, expandSlice, podCgroupName } from "./cgroup-names.js";
export { CgroupReader } from "./cgroup-reader.js";
export type { CgroupSnapshot } from "./cgroup-reader.js";
export { unlimitedFrom, workingSetOf } from "./cgroup-stats.js";
export type { CgroupStats, CgroupUsage, CpuCounters, MemoryCounters, MemoryUsage, PidCounters } from "./cgroup-stats.js";
export { CpuSampler } from "./cpu-sampler.js";
export { RecentUsage } from "./recent-usage.js";
export type { RecentUsageOptions, TimedUsage } from "./recent-usage.js";
export type { CpuSamplerOptions, SampleTarget } from "./cpu-sampler.js";
export { parseNetDev, readPodInterfaces, readPodInterfacesMany } from "./net-dev.js";
export { loadReadFiles } from "./read-files.js";
export type { ReadFiles, ReadValues } from "./read-files.js";
export type { InterfaceCounters } from "./net-dev.js";
export { WritableLayerSizes } from "./writable-layer-sizes.js";
export type { LayerSize, WritableLayerSizesOptions } from "./writable-layer-sizes.js";
