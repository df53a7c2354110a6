import type { Duplex } from "node:stream";
import type { StreamIo } from "../../cri/streaming/streaming-runtime.js";
import { SpdySession } from "../spdy/spdy-session.js";
import type { SpdyStream } from "../spdy/spdy-stream.js";
import { hasResizeStream, usesStatusJson } from "./protocols.js";
import { finish, runAndReport, type RemoteCommandSession } from "./remote-command-session.js";
import { TerminalSizeQueue } from "./terminal-size-queue.js";

type StreamType = "error" | "stdin" | "stdout" | "stderr" | "resize";
const streamTypes: readonly string[] = ["error", "stdin", "stdout", "stderr", "resize"];

function isStreamType(t: string | undefined): t is StreamType {
  return t !== undefined && streamTypes.includes(t);
}

/**
 * Exec/attach over an upgraded SPDY connection. The client opens `error`, then `stdin`, `stdout`,
 * `stderr` as requested, then `resize` (v3+ with a TTY), each waiting for our reply. Once all the
 * request's streams are in, the command runs; at its end stdout/stderr get FIN, the outcome goes on
 * the error stream (which the client reads to EOF), and the connection is closed with GOAWAY.
 */
export async function serveSpdyRemoteCommand(socket: Duplex, head: Buffer, s: RemoteCommandSession): Promise<void> {
  const want = s.streams;
  const expected = 1 + Number(want.stdin) + Number(want.stdout) + Number(want.stderr && !want.tty) + Number(want.tty && hasResizeStream(s.protocol));
  const got = new Map<StreamType, SpdyStream>();
  let allIn: () => void = () => undefined;
  const streamsReady = new Promise<void>((resolve) => {
    allIn = resolve;
  });
  const resize = new TerminalSizeQueue();
  const session = new SpdySession({
    socket,
    head,
    log: s.log,
    onStream(stream) {
      const type = stream.streamType;
      if (!isStreamType(type) || got.has(type)) {
        // The kubelet logs and ignores streams it does not know; drain them so they never block the connection.
        s.log.debug({ streamType: type, streamId: stream.id }, "Ignoring unexpected stream");
        stream.resume();
        return;
      }
      got.set(type, stream);
      if (type === "resize") {
        stream.on("data", (chunk: Buffer) => { resize.write(chunk); });
        stream.on("end", () => { resize.end(); });
      }
      if (got.size === expected) allIn();
    },
  });
  const aborted = new AbortController();
  void session.closed.then(() => {
    aborted.abort();
    resize.end();
  });

  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    streamsReady.then(() => "ready" as const),
    session.closed.then(() => "closed" as const),
    new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => { resolve("timeout"); }, s.streamCreationTimeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    if (outcome === "timeout") s.log.info({ received: got.size, expected }, "Timed out waiting for the client to create streams");
    session.destroy();
    return;
  }

  const stdin = got.get("stdin");
  // channel.k8s.io (v1) kept this for 1.0 clients: our side of stdin is closed at once.
  if (stdin !== undefined && s.protocol === "channel.k8s.io") stdin.end();
  const stdout = got.get("stdout");
  const stderr = want.tty ? undefined : got.get("stderr");
  const io: StreamIo = {
    stdin,
    stdout,
    stderr,
    resize: want.tty && got.has("resize") ? resize : undefined,
    signal: aborted.signal,
    log: s.log,
  };
  await runAndReport(s, io, resize, usesStatusJson(s.protocol), async (status) => {
    const errorStream = got.get("error");
    if (errorStream !== undefined) {
      if (status !== undefined) errorStream.write(status);
      await finish(errorStream);
    }
    session.close();
    await session.closed;
  });
}
