#!/usr/bin/env node
import { buildApp } from "./app.js";
import { parseFlags, programName, type Config } from "./config/index.js";
import { runDoctor } from "./doctor/index.js";
import { errorMessage } from "./errors/index.js";
import { createSdNotifier } from "./host/index.js";
import { createLogger } from "./logger/index.js";

/** How long SIGTERM/SIGINT lets in-flight calls finish before they are cut. */
const shutdownGraceMs = 10_000;

/** Start-up failures are one plain line on stderr and a non-zero exit: the line an operator reads first. */
function die(message: string, code: number): never {
  process.stderr.write(`${programName}: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  if (process.argv[2] === "doctor") {
    // `docker-cri doctor [flags]`: checks the host for the daemon the same flags would start.
    process.exitCode = await runDoctor(process.argv.slice(3), process.env, process.stdout);
    return;
  }
  let config: Config;
  try {
    const parsed = parseFlags(process.argv.slice(2), process.env);
    if (parsed.kind === "print") {
      process.stdout.write(parsed.text);
      return;
    }
    config = parsed.config;
  } catch (err) {
    die(`${errorMessage(err)} (see --help)`, 2);
  }

  const log = createLogger(config.logLevel);
  process.on("unhandledRejection", (reason) => {
    // A daemon keeps serving: the rejected work is lost, the process and its other calls are not.
    log.error({ err: reason }, "Unhandled promise rejection");
  });

  // systemd (Type=notify) learns from us when CRI is served and when shutdown begins.
  const notifier = createSdNotifier(process.env.NOTIFY_SOCKET, log);
  const app = buildApp(config, log);
  try {
    await app.start();
  } catch (err) {
    die(`failed to start: ${errorMessage(err)}`, 1);
  }
  await notifier.notify(`READY=1\nSTATUS=Serving CRI on ${config.endpointText}`);

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, "Second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, graceMs: shutdownGraceMs }, "Shutting down");
    notifier.notify("STOPPING=1\nSTATUS=Shutting down").then(() => app.stop(shutdownGraceMs)).then(
      () => {
        log.info("Stopped");
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "Error while stopping");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

main().catch((err: unknown) => {
  die(`failed to start: ${errorMessage(err)}`, 1);
});
