import { CriError } from "../errors/index.js";
import { JsonObjectReader } from "./parse.js";

/** One entry of `GET /containers/json`. */
export interface ContainerSummary {
  readonly id: string;
  /** With Docker's leading "/"; the first is the container's own name. */
  readonly names: readonly string[];
  readonly image: string;
  readonly imageId: string;
  /** Seconds since the epoch (the list endpoint has no finer resolution). */
  readonly created: number;
  /** "created", "running", "paused", "restarting", "removing", "exited" or "dead". */
  readonly state: string;
  /** Human text, e.g. "Up 3 minutes", "Exited (0) 2 seconds ago". */
  readonly status: string;
  readonly labels: Readonly<Record<string, string>>;
}

export function parseContainerList(body: unknown): ContainerSummary[] {
  if (!Array.isArray(body)) {
    throw new CriError("Internal", 'Unexpected Docker "list_containers" response: the body is not an array');
  }
  return body.map((item: unknown) => {
    const r = JsonObjectReader.of(item, 'Docker "list_containers" response');
    return {
      id: r.string("Id"),
      names: r.optStringArray("Names"),
      image: r.optString("Image"),
      imageId: r.optString("ImageID"),
      created: r.optNumber("Created"),
      state: r.optString("State"),
      status: r.optString("Status"),
      labels: r.optStringMap("Labels"),
    };
  });
}
