import type { Writable } from "node:stream";
import type { DockerHijackResponse } from "../../docker/index.js";
import { demuxStream } from "../../docker/index.js";
import { CriError, errorMessage } from "../../errors/index.js";
import type { StreamIo } from "./streaming-runtime.js";

/**
 * Connects the client's streams to a hijacked Docker connection (exec start or attach): stdin is
 * copied into it, and its end becomes a half-close of the connection (Docker then closes the
 * process's stdin); the output is copied out raw with a TTY, demultiplexed (stdcopy frames) into
 * stdout and stderr without. Resolves when Docker ends the output (the process exited, or Docker
 * closed the attach). When the client goes away (`io.signal`) the connection is dropped and this
 * resolves too; the caller checks the signal.
 */
export async function pumpHijackedStdio(hijack: DockerHijackResponse, io: StreamIo, raw: boolean): Promise<void> {
  const socket = hijack.socket;
  socket.on("error", (err: unknown) => { io.log.debug({ err: errorMessage(err) }, "Docker stream error"); });
  const onAbort = (): void => { socket.destroy(); };
  io.signal.addEventListener("abort", onAbort, { once: true });
  // The client may have gone before the connection existed; the listener would never fire then.
  if (io.signal.aborted) onAbort();
  if (hijack.head.length > 0) socket.unshift(hijack.head);

  const stdin = io.stdin;
  const onStdinEnd = (): void => {
    if (!socket.destroyed && !socket.writableEnded) socket.end();
  };
  if (stdin !== undefined) {
    stdin.on("end", onStdinEnd);
    stdin.pipe(socket, { end: false });
  }
  try {
    if (raw) {
      for await (const chunk of socket) {
        // A Duplex without an encoding yields Buffers.
        if (io.stdout !== undefined && Buffer.isBuffer(chunk)) await writeAll(io.stdout, chunk);
      }
    } else {
      await demuxStream(socket, io.stdout ?? null, io.stderr ?? null);
    }
  } catch (err) {
    // The client's side closing under us (its stream reset, the connection dropped) is not a failure.
    if (!io.signal.aborted && !(err instanceof CriError && err.kind === "Canceled")) throw err;
  } finally {
    io.signal.removeEventListener("abort", onAbort);
    if (stdin !== undefined) {
      stdin.unpipe(socket);
      stdin.off("end", onStdinEnd);
    }
    socket.destroy();
  }
}

/** Writes with backpressure; a destination closed meanwhile (the client went away) stops the copy. */
async function writeAll(w: Writable, chunk: Buffer): Promise<void> {
  if (w.destroyed) throw new CriError("Canceled", "The client's output stream is closed");
  if (w.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: CriError): void => {
      w.off("drain", onDrain);
      w.off("close", onClose);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onDrain = (): void => { done(); };
    const onClose = (): void => { done(new CriError("Canceled", "The client's output stream is closed")); };
    w.on("drain", onDrain);
    w.on("close", onClose);
  });
}
