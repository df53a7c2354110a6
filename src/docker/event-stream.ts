import { CriError } from "../errors/index.js";
import { JsonObjectReader } from "./parse.js";
import type { DockerTransport } from "./transport.js";

/** One line of `GET /events`: its text (for fields JSON numbers would round) and its object. */
export interface EventLine {
  readonly text: string;
  readonly reader: JsonObjectReader;
}

/** Docker's event lines are a few hundred bytes; anything this long is a broken peer. */
const maxLineLength = 1024 * 1024;

/**
 * A line of Docker's event stream; undefined for a blank line (Docker sends none, but a peer may).
 * Invalid JSON is a CriError: the stream is broken and the caller resubscribes.
 */
export function readEventLine(line: string): EventLine | undefined {
  const text = line.trim();
  if (text === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CriError("Internal", `Docker "events" sent invalid JSON: ${text.slice(0, 200)}`, { cause: err });
  }
  return { text, reader: JsonObjectReader.of(value, 'Docker "events" message') };
}

/**
 * Subscribes to `GET /events` with `filters` and yields what `pick` makes of each line (undefined:
 * skipped). Resolves once Docker has answered, that is once the subscription exists: a change made
 * after that is guaranteed to arrive, which is what lets a re-read that starts afterwards miss
 * nothing. The iterable ends when Docker closes the stream and throws a CriError when the connection
 * fails or a line is broken; aborting `signal` ends it.
 */
export async function openEventStream<T>(
  transport: DockerTransport,
  filters: Readonly<Record<string, readonly string[]>>,
  pick: (line: EventLine) => T | undefined,
  signal: AbortSignal,
): Promise<AsyncIterable<T>> {
  const res = await transport.stream({
    operation: "events",
    method: "GET",
    path: "/events",
    query: { filters },
    // The stream is meant to stay open for the daemon's lifetime; the caller's signal ends it.
    timeoutMs: 0,
    signal,
  });
  // Split by hand rather than with node:readline, whose iterator does not end when its input is
  // destroyed (an aborted request), only when it ends.
  return (async function* events() {
    let pending = "";
    try {
      for await (const chunk of res.body) {
        pending += Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk);
        let newline = pending.indexOf("\n");
        while (newline >= 0) {
          const line = readEventLine(pending.slice(0, newline));
          pending = pending.slice(newline + 1);
          const ev = line === undefined ? undefined : pick(line);
          if (ev !== undefined) yield ev;
          newline = pending.indexOf("\n");
        }
        if (pending.length > maxLineLength) throw new CriError("Internal", `Docker "events" sent a line longer than ${maxLineLength} characters`);
      }
    } finally {
      res.body.destroy();
    }
  })();
}
