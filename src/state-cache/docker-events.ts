import { openEventStream, readEventLine, type DockerTransport, type EventLine, type JsonObjectReader } from "../docker/index.js";

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
export function openContainerEvents(transport: DockerTransport, label: string, signal: AbortSignal): Promise<AsyncIterable<DockerContainerEvent>> {
  return openEventStream(transport, { type: ["container"], label: [label], event: [...followedActions] }, pickContainerEvent, signal);
}

const followed: ReadonlySet<string> = new Set(followedActions);

/** One event line; undefined for blank lines and for events we do not follow. */
export function parseDockerEvent(line: string): DockerContainerEvent | undefined {
  const read = readEventLine(line);
  return read === undefined ? undefined : pickContainerEvent(read);
}

function pickContainerEvent({ text, reader: r }: EventLine): DockerContainerEvent | undefined {
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
