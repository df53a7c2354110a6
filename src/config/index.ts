export { cgroupDrivers, containerRuntimes, hairpinModes, networkPlugins } from "./config.js";
export type { CgroupDriverName, Config, ContainerRuntime, Endpoint, HairpinMode, NetworkPluginName } from "./config.js";
export { describeDuration, helpText, parseEndpoint, parseFlags, programName, programVersion } from "./flags.js";
export type { FlagsResult } from "./flags.js";
export { formatDuration, parseDuration } from "./duration.js";
export { parseTestHooks, testHookEnv } from "./test-hooks.js";
export type { TestHooks } from "./test-hooks.js";
