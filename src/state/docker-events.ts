import { JsonObjectReader, type DockerTransport } from "../docker/index.js";
import { CriError } from "../errors/index.js";

/**
 * The container actions the state cache follows. Others (exec_*, attach, kill, stop, top, resize,
 * health_status, …) change nothing Docker's inspect shows that CRI reports: `stop` and `kill` are
 * always followed by `die` when they take effect.
 */
export const followedActions = ["create", "start", "restart", "die", "oom", "destroy", "rename", "update", "pause", "unpause"] as const;
export type FollowedAction = (typeof followedActions)[number];

/** One line of `GET /events`, narrowed to a container event. */
export interface DockerContainerEvent {
  readonly action: FollowedAction;
  readonly id: string;
  /** Nanoseconds since the epoch, exact (read from the raw text: JSON numbers lose the last digits). */
  readonly timeNano: bigint;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Subscribes to Docker's event stream for containers carrying `label` (a key, or key=value), only
 * the followed actions. Resolves once Docker has answered, that is once the subscription exists: a
 * change made after that is guaranteed to arrive, which is what lets a resync that starts afterwards
 * miss nothing. The iterable ends when Docker closes the stream and throws a CriError when the
 * connection fails; aborting `signal` ends it.
 */
export async function openContainerEvents(transport: DockerTransport, label: string, signal: AbortSignal): Promise<AsyncIterable<DockerContainerEvent>> {
  const res = await transport.stream({
    operation: "events",
    method: "GET",
    path: "/events",
    query: { filters: { type: ["container"], label: [label], event: [...followedActions] } },
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
          const ev = parseDockerEvent(pending.slice(0, newline));
          pending = pending.slice(newline + 1);
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

/** Docker's event lines are a few hundred bytes; anything this long is a broken peer. */
const maxLineLength = 1024 * 1024;

const followed: ReadonlySet<string> = new Set(followedActions);

/** One event line; undefined for blank lines and for events we do not follow. */
export function parseDockerEvent(line: string): DockerContainerEvent | undefined {
  const text = line.trim();
  if (text === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CriError("Internal", `Docker "events" sent invalid JSON: ${text.slice(0, 200)}`, { cause: err });
  }
  const r = JsonObjectReader.of(value, 'Docker "events" message');
  if (r.optString("Type") !== "container") return undefined;
  const action = r.optString("Action");
  if (!followed.has(action)) return undefined;
  // Actor (API 1.22+) only: the legacy top-level `status`, `id` and `from` are gone from API 1.52.
  const actor = r.optObject("Actor");
  const id = actor?.optString("ID") ?? "";
  if (id === "") return undefined;
  return {
    // Checked against the followed set just above.
    action: action as FollowedAction,
    id,
    timeNano: exactTimeNano(text, r),
    attributes: actor?.optStringMap("Attributes") ?? {},
  };
}

function exactTimeNano(text: string, r: JsonObjectReader): bigint {
  const m = /"timeNano"\s*:\s*(\d+)/.exec(text);
  if (m?.[1] !== undefined) return BigInt(m[1]);
  return BigInt(Math.trunc(r.optNumber("time"))) * 1_000_000_000n;
}
