export { createLogger, logLevels, silentLogger } from "./logger.js";
export type { Logger, LogLevel } from "./logger.js";
