import type { Duplex } from "node:stream";
import { errorMessage } from "../../errors/index.js";
import type { Logger } from "../../logger/index.js";
import { headerValue } from "../spdy/header-block.js";
import { SpdySession } from "../spdy/spdy-session.js";
import type { SpdyStream } from "../spdy/spdy-stream.js";
import { spliceStreams } from "./splice-streams.js";

export interface PortForwardSession {
  readonly log: Logger;
  /** How long the second stream of a pair may take to arrive. */
  readonly streamCreationTimeoutMs: number;
  /** Opens a connection to `port` inside the pod's network namespace. */
  dial(port: number, signal: AbortSignal): Promise<Duplex>;
  /** Names the pod in messages on the error stream. */
  readonly target: string;
}

interface Pair {
  readonly requestId: string;
  readonly port: number;
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** A pair whose other stream never came: say so on its error stream (if that one came) and reset. */
function dropIncomplete(pair: Pair): void {
  const missing = pair.error === undefined ? "error" : "data";
  pair.error?.end(`timed out waiting for the ${missing} stream of request ${pair.requestId}`);
  pair.data?.destroy();
}

/** A decimal TCP port 1–65535, or undefined. */
export function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/**
 * Port forward over SPDY (`portforward.k8s.io`). For each TCP connection the client opens two
 * streams with `streamtype` (`error`, then `data`), `port` and `requestid` headers; we pair them by
 * request id, connect to the port inside the pod, and copy bytes between the data stream and that
 * connection. A failure is written as text on the error stream (which the client treats as fatal).
 * Any number of pairs, for any ports, run at once on one connection.
 */
export async function serveSpdyPortForward(socket: Duplex, head: Buffer | undefined, s: PortForwardSession): Promise<void> {
  const pairs = new Map<string, Pair>();
  const aborted = new AbortController();
  const session = new SpdySession({
    socket,
    ...(head === undefined ? {} : { head }),
    log: s.log,
    accept(stream) {
      const type = stream.streamType;
      const port = parsePort(headerValue(stream.headers, "port"));
      if ((type !== "error" && type !== "data") || port === undefined) {
        s.log.debug({ streamType: type, port: headerValue(stream.headers, "port") }, "Refusing port-forward stream with invalid headers");
        return false;
      }
      return true;
    },
    onStream(stream) {
      const type = stream.streamType === "error" ? "error" : "data";
      const port = parsePort(headerValue(stream.headers, "port")) ?? 0;
      // Old clients send no request id; the kubelet derives it from the stream ids of the pair.
      const requestId = headerValue(stream.headers, "requestid") ?? String(type === "error" ? stream.id : stream.id - 2);
      let pair = pairs.get(requestId);
      if (pair === undefined) {
        const created: Pair = {
          requestId,
          port,
          timer: setTimeout(() => {
            pairs.delete(requestId);
            s.log.debug({ requestId }, "Port-forward stream pair incomplete; dropping it");
            dropIncomplete(created);
          }, s.streamCreationTimeoutMs),
        };
        pair = created;
        pairs.set(requestId, pair);
      }
      if (pair[type] !== undefined) {
        s.log.debug({ requestId, streamType: type }, "Duplicate port-forward stream; resetting it");
        stream.destroy();
        return;
      }
      pair[type] = stream;
      if (pair.error !== undefined && pair.data !== undefined) {
        clearTimeout(pair.timer);
        pairs.delete(requestId);
        void forward(pair.error, pair.data, pair.port);
      }
    },
    onGoaway() {
      // spdystream's Close() sends GOAWAY and then waits for its streams: finish them all now.
      session.close();
    },
  });

  const forward = async (errorStream: SpdyStream, data: SpdyStream, port: number): Promise<void> => {
    // The client half-closes its error stream at once; nothing comes from it.
    errorStream.resume();
    let conn: Duplex;
    try {
      conn = await s.dial(port, aborted.signal);
    } catch (err) {
      const msg = `error forwarding port ${port} to pod ${s.target}: ${errorMessage(err)}`;
      s.log.info({ port, err: errorMessage(err) }, "Port forward failed");
      errorStream.end(msg);
      data.destroy();
      return;
    }
    s.log.debug({ port }, "Port-forward connection open");
    await spliceStreams(data, conn);
    errorStream.end();
  };

  await session.closed;
  aborted.abort();
  for (const pair of pairs.values()) clearTimeout(pair.timer);
}
