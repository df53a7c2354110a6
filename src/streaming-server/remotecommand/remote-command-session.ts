import type { Writable } from "node:stream";
import type { ExecResult, StreamIo } from "../../cri/streaming/streaming-runtime.js";
import { errorMessage } from "../../errors/index.js";
import type { Logger } from "../../logger/index.js";
import { outcomeOf, statusBytes } from "./remote-command-status.js";
import type { TerminalSizeQueue } from "./terminal-size-queue.js";

/** Which stdio the stored Exec/Attach request asked for. */
export interface RemoteCommandStreams {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

/** One exec or attach, as the streaming service hands it to the SPDY or the WebSocket transport. */
export interface RemoteCommandSession {
  readonly protocol: string;
  readonly log: Logger;
  readonly streams: RemoteCommandStreams;
  /** How long the client may take to open all its streams. */
  readonly streamCreationTimeoutMs: number;
  readonly what: "executing command in container" | "attaching to container";
  /** The runtime's exec or attach; an exit code other than 0 is reported as such. */
  run(io: StreamIo): Promise<ExecResult | undefined>;
}

/**
 * What both transports do once their streams are in place: run the command on `io`, end the terminal
 * size queue, then, unless the client went away meanwhile (`io.signal`; nobody is left to tell),
 * log a failure, end stdout and stderr, and hand the outcome's bytes for the error stream (undefined
 * when nothing is to be written) to `report`, which writes them and closes the connection its way.
 */
export async function runAndReport(s: RemoteCommandSession, io: StreamIo, resize: TerminalSizeQueue, statusJson: boolean, report: (status: Buffer | undefined) => Promise<void>): Promise<void> {
  let result: ExecResult | undefined;
  let failure: unknown;
  try {
    result = await s.run(io);
  } catch (err) {
    failure = err;
  }
  resize.end();
  if (io.signal.aborted) {
    s.log.debug({ err: failure === undefined ? undefined : errorMessage(failure) }, "Client went away before the command ended");
    return;
  }
  if (failure !== undefined) s.log.info({ err: errorMessage(failure) }, `Failed ${s.what}`);
  await Promise.all([finish(io.stdout), finish(io.stderr)]);
  await report(statusBytes(statusJson, outcomeOf(result, failure, s.what)));
}

/** Ends our side of a stream (FIN) and waits until it is flushed or the stream is gone. */
export function finish(w: Writable | undefined): Promise<void> {
  if (w === undefined || w.destroyed || w.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      w.off("finish", done);
      w.off("close", done);
      w.off("error", done);
      resolve();
    };
    w.on("finish", done);
    w.on("close", done);
    w.on("error", done);
    w.end();
  });
}
