import { openEventStream, readEventLine, type DockerTransport, type EventLine } from "../../docker/index.js";

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
export function openImageEvents(transport: DockerTransport, signal: AbortSignal): Promise<AsyncIterable<ImageEngineEvent>> {
  // Docker matches `event` exactly against Action and ANDs it with `type`: image events of the
  // image actions and container events of the container actions (no action is in both lists
  // with another meaning: containers have no "pull", images no "destroy"; "create" is both).
  const filters = { type: ["image", "container"], event: [...new Set<string>([...imageActions, ...containerActions])] };
  return openEventStream(transport, filters, pickImageEvent, signal);
}

const containerFollowed: ReadonlySet<string> = new Set(containerActions);

/** One event line; undefined for blank lines and anything the image cache does not follow. */
export function parseImageEventLine(line: string): ImageEngineEvent | undefined {
  const read = readEventLine(line);
  return read === undefined ? undefined : pickImageEvent(read);
}

function pickImageEvent({ reader: r }: EventLine): ImageEngineEvent | undefined {
  const type = r.optString("Type");
  const action = r.optString("Action");
  // Actor (API 1.22+) only: the legacy top-level `status`, `id` and `from` are gone from API 1.52.
  const id = r.optObject("Actor")?.optString("ID") ?? "";
  if (type === "image") return { type, action, id };
  if (type === "container" && containerFollowed.has(action)) return { type, action, id };
  return undefined;
}
