/**
 * A process running the container log manager for one container, for the tests that kill it with
 * SIGKILL in the middle of copying. Argument: JSON { stateDir, id, dockerLogPath, criLogPath,
 * stateSaveDelayMs }. Prints "ready" once start() returned, then obeys stdin lines: "reopen",
 * "stop", "close" (each answered with the word in the past tense: "reopened", "stopped", "closed").
 * Logs (pino JSON) go to stderr at info.
 */
import { createInterface } from "node:readline";
import { createLogger } from "../../src/logger/index.js";
import { createContainerLogManager } from "../../src/container-logs/index.js";

interface ChildArgs {
  readonly stateDir: string;
  readonly id: string;
  readonly dockerLogPath: string;
  readonly criLogPath: string;
  readonly stateSaveDelayMs: number;
}

const args = JSON.parse(process.argv[2] ?? "{}") as ChildArgs; // written by the test that spawns us
const manager = createContainerLogManager({ stateDir: args.stateDir, log: createLogger("info"), stateSaveDelayMs: args.stateSaveDelayMs });
await manager.start(args.id, args.dockerLogPath, args.criLogPath);
process.stdout.write("ready\n");

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "reopen") {
    await manager.reopen(args.id);
    process.stdout.write("reopened\n");
  } else if (line === "stop") {
    await manager.stop(args.id);
    process.stdout.write("stopped\n");
  } else if (line === "close") {
    await manager.close();
    process.stdout.write("closed\n");
    process.exit(0);
  }
}
