import { JsonObjectReader, type DockerTransport } from "../../docker/index.js";
import { CriError } from "../../errors/index.js";

/**
 * The image actions that change what ImageService reports, on every API version from 1.41 (Docker
 * 20.10) to 1.51 (28.5): `pull`, `import`, `load` add images; `tag` adds a name (to this image, and
 * takes it from whichever image had it, which gets no event of its own); `untag` and `delete`
 * remove names and images; `push` adds a repo digest (classic store); `create` is the containerd
 * store's new image record; `prune` follows a prune's deletes. `save` and `inspect` change nothing.
 */
export const imageActions = ["pull", "import", "load", "tag", "untag", "delete", "push", "create", "prune"] as const;

/**
 * The container actions that change `/system/df`'s figures or add an image: a new or removed
 * container (its writable layer), and `commit`, which makes an image (with no image event when it is
 * left untagged). Writes inside a running container change its layer's size with no event at all.
 */
export const containerActions = ["create", "destroy", "commit"] as const;

/** One event of the image subscription. */
export interface ImageEngineEvent {
  readonly type: "image" | "container";
  readonly action: string;
  /** Actor.ID: an image id (tag, untag, delete, import, load), a reference (pull, push), a container id. */
  readonly id: string;
}

/**
 * Subscribes to Docker's events for images, and for the containers' creations, removals and
 * commits. Resolves once Docker has answered, that is once the subscription exists: every change
 * made after that arrives as an event, which is what lets a re-read that starts afterwards miss
 * nothing. The iterable ends when Docker closes the stream and throws when the connection fails;
 * aborting `signal` ends it.
 */
export async function openImageEvents(transport: DockerTransport, signal: AbortSignal): Promise<AsyncIterable<ImageEngineEvent>> {
  const res = await transport.stream({
    operation: "events",
    method: "GET",
    path: "/events",
    // Docker matches `event` exactly against Action and ANDs it with `type`: image events of the
    // image actions and container events of the container actions (no action is in both lists
    // with another meaning: containers have no "pull", images no "destroy"; "create" is both).
    query: { filters: { type: ["image", "container"], event: [...new Set<string>([...imageActions, ...containerActions])] } },
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
          const ev = parseImageEventLine(pending.slice(0, newline));
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

const containerFollowed: ReadonlySet<string> = new Set(containerActions);

/** One event line; undefined for blank lines and anything the image cache does not follow. */
export function parseImageEventLine(line: string): ImageEngineEvent | undefined {
  const text = line.trim();
  if (text === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CriError("Internal", `Docker "events" sent invalid JSON: ${text.slice(0, 200)}`, { cause: err });
  }
  const r = JsonObjectReader.of(value, 'Docker "events" message');
  const type = r.optString("Type");
  const action = r.optString("Action");
  // Actor (API 1.22+) only: the legacy top-level `status`, `id` and `from` are gone from API 1.52.
  const id = r.optObject("Actor")?.optString("ID") ?? "";
  if (type === "image") return { type, action, id };
  if (type === "container" && containerFollowed.has(action)) return { type, action, id };
  return undefined;
}
