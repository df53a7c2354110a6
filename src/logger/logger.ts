import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger } from "pino";

export const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

/**
 * Paths that may hold registry credentials or other secrets anywhere in a logged object.
 * AuthConfig's password, auth, identity_token and registry_token are debug_redact in api.proto.
 */
const redactPaths = [
  "auth.password", "auth.auth", "auth.identityToken", "auth.registryToken",
  "*.auth.password", "*.auth.auth", "*.auth.identityToken", "*.auth.registryToken",
  "password", "identityToken", "registryToken", "headers[\"x-registry-auth\"]", "*.headers[\"x-registry-auth\"]",
];

/**
 * The one root logger: JSON lines to stderr (fd 2), synchronous so that a fatal start-up line is
 * never lost on exit. Lower layers receive a child of it; they never create their own.
 */
export function createLogger(level: LogLevel, destination: number | NodeJS.WritableStream = 2): Logger {
  const stream = typeof destination === "number" ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino(
    {
      level: level satisfies LevelWithSilent,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

/** A logger that drops everything, for tests and tools that do not want output. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
