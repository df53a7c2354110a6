import { CriError } from "../errors/index.js";
import { parseImage, parseImageHistory, parseImageSummary, type DockerImage, type DockerImageHistoryItem, type DockerImageSummary } from "./image-types.js";
import { jsonLines } from "./json-lines.js";
import { JsonObjectReader } from "./parse.js";
import { DockerApiError, errorForStatus } from "./status-error.js";
import { raceAbort } from "../util/race-abort.js";
import { setTimeout as sleep } from "node:timers/promises";

/** How often a /system/df that Docker says is busy (another process asked) is retried, 0.1 s, 0.2 s, … apart. */
const busyRetries = 10;
import type { DockerTransport, QueryValue } from "./transport.js";
import { call, type DockerClientOptions } from "./request-options.js";

/** One message of a pull's progress stream that is not an error. */
export interface PullProgress {
  /** The layer (short id) or tag the message is about; "" for messages about the whole pull. */
  readonly id: string;
  /** "Pulling fs layer", "Downloading", "Extracting", "Pull complete", "Digest: …", "Status: …". */
  readonly status: string;
  /** Docker's progress bar text, "" when none. */
  readonly progress: string;
  /** Bytes done and total of the current phase, when Docker reports them. */
  readonly current: number | undefined;
  readonly total: number | undefined;
}

export interface PullRequest {
  /** Repository name without tag or digest, in any form Docker parses ("busybox", "127.0.0.1:5000/x"). */
  readonly fromImage: string;
  /** A tag or a digest ("sha256:…"). Never empty: without it Docker pulls every tag of the repository. */
  readonly tag: string;
  /** The encoded X-Registry-Auth value; never logged. */
  readonly registryAuth: string | undefined;
}

/** One line of `DELETE /images/{name}`'s answer. */
export interface ImageDeleteRecord {
  readonly untagged: string | undefined;
  readonly deleted: string | undefined;
}

/** The parts of `GET /system/df` ImageFsInfo needs. */
export interface DockerDiskUsage {
  /** Bytes of all image layers on disk, each shared layer counted once. */
  readonly layersSize: number;
  /** Each container's writable layer size in bytes. */
  readonly containers: readonly { readonly id: string; readonly sizeRw: number }[];
}

/**
 * Docker image endpoints (`/images/*`): list, inspect, history, pull, remove, and the two
 * image-centric questions asked elsewhere in the API (which containers use an image, disk usage).
 */
export class ImagesApi {
  /** The `GET /system/df` in flight, shared by every caller meanwhile (see diskUsage). */
  #diskUsage: Promise<DockerDiskUsage> | undefined;

  constructor(
    readonly transport: DockerTransport,
    readonly options: DockerClientOptions,
  ) {}

  /**
   * `GET /images/json`; `reference` takes Docker's own reference patterns ("busybox", "busybox:1.*"),
   * `dangling` keeps only the images without any name (true) or with one (false).
   */
  async list(filters: { readonly reference?: readonly string[]; readonly dangling?: boolean }, signal: AbortSignal): Promise<DockerImageSummary[]> {
    const query: Record<string, QueryValue> = {};
    const f: Record<string, readonly string[]> = {};
    if (filters.reference !== undefined && filters.reference.length > 0) f.reference = filters.reference;
    if (filters.dangling !== undefined) f.dangling = [String(filters.dangling)];
    if (Object.keys(f).length > 0) query.filters = f;
    const res = await this.transport.request(call("list_images", "GET", "/images/json", signal, { query }));
    if (!Array.isArray(res.body)) throw notAnArray("list_images");
    return res.body.map((item: unknown, i) => parseImageSummary(item, `[${i}]`));
  }

  /** `GET /images/{name}/json` by reference, id or id prefix; throws NotFound when absent. */
  async inspect(nameOrId: string, signal: AbortSignal): Promise<DockerImage> {
    const res = await this.transport.request(call("inspect_image", "GET", `/images/${encodeName(nameOrId)}/json`, signal));
    return parseImage(res.body);
  }

  /** `GET /images/{name}/history`, newest layer first as Docker returns it. */
  async history(nameOrId: string, signal: AbortSignal): Promise<DockerImageHistoryItem[]> {
    const res = await this.transport.request(call("image_history", "GET", `/images/${encodeName(nameOrId)}/history`, signal));
    return parseImageHistory(res.body);
  }

  /**
   * `POST /images/create?fromImage=&tag=`: resolves once Docker accepted the pull (an unknown
   * repository or tag, or refused credentials, fail here with Docker's status), then yields its
   * progress messages. The first error object in the stream throws, so the caller reads the
   * stream to its end to know the pull succeeded. No per-call timeout: the caller watches progress
   * instead, and aborting `signal` (or leaving the loop) cancels the pull in Docker.
   */
  async pull(request: PullRequest, signal: AbortSignal): Promise<AsyncGenerator<PullProgress, void, undefined>> {
    const res = await this.transport.stream(
      call("pull_image", "POST", "/images/create", signal, {
        query: { fromImage: request.fromImage, tag: request.tag },
        headers: request.registryAuth === undefined ? {} : { "X-Registry-Auth": request.registryAuth },
        timeoutMs: 0,
      }),
    );
    return pullMessages(jsonLines(res.body, "pull_image"));
  }

  /** `DELETE /images/{name}` without force: a tag of an image in use or shared across repositories is a conflict. */
  async remove(nameOrId: string, signal: AbortSignal): Promise<ImageDeleteRecord[]> {
    const res = await this.transport.request(call("remove_image", "DELETE", `/images/${encodeName(nameOrId)}`, signal, { query: { force: false } }));
    if (!Array.isArray(res.body)) return [];
    return res.body.map((item: unknown, i) => {
      const r = JsonObjectReader.of(item, 'Docker "remove_image" response', `[${i}]`);
      const untagged = r.optString("Untagged");
      const deleted = r.optString("Deleted");
      return { untagged: untagged === "" ? undefined : untagged, deleted: deleted === "" ? undefined : deleted };
    });
  }

  /** Ids of every container, running or not, created from the image (Docker's `ancestor` filter). */
  async containersUsing(imageId: string, signal: AbortSignal): Promise<string[]> {
    const res = await this.transport.request(
      call("list_containers", "GET", "/containers/json", signal, { query: { all: true, filters: { ancestor: [imageId] } } }),
    );
    if (!Array.isArray(res.body)) throw notAnArray("list_containers");
    return res.body.map((item: unknown, i) => JsonObjectReader.of(item, 'Docker "list_containers" response', `[${i}]`).string("Id"));
  }

  /**
   * `GET /system/df`: Docker's own accounting of layer bytes and writable layers. `type` (API 1.42+)
   * skips volumes and build cache, whose sizes take the longest; older daemons ignore it.
   */
  async diskUsage(signal: AbortSignal): Promise<DockerDiskUsage> {
    // Docker 20.10 refuses a second /system/df while one runs (HTTP 500 "a disk usage operation is
    // already running"), which made two concurrent ImageFsInfo calls fail with Internal (found by
    // test/chaos fuzzing). Callers at the same time share one request, under the transport's own
    // timeout rather than the first caller's signal; one still running for another process is waited
    // out (busyRetries).
    this.#diskUsage ??= this.#fetchDiskUsage().finally(() => {
      this.#diskUsage = undefined;
    });
    return raceAbort(this.#diskUsage, signal);
  }

  async #fetchDiskUsage(): Promise<DockerDiskUsage> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#requestDiskUsage();
      } catch (err) {
        const busy = err instanceof CriError && err.kind === "Unavailable" && err.cause instanceof DockerApiError;
        if (!busy || attempt >= busyRetries) throw err;
        await sleep(100 * (attempt + 1));
      }
    }
  }

  async #requestDiskUsage(): Promise<DockerDiskUsage> {
    const res = await this.transport.request(call("disk_usage", "GET", "/system/df", undefined, { query: { type: ["image", "container"] } }));
    const r = JsonObjectReader.of(res.body, 'Docker "disk_usage" response');
    return {
      layersSize: r.optNumber("LayersSize"),
      // SizeRw is -1 or absent when Docker could not compute it; count that as 0 bytes.
      containers: r.optObjectArray("Containers").map((c) => ({ id: c.string("Id"), sizeRw: Math.max(0, c.optNumber("SizeRw")) })),
    };
  }
}

/**
 * Docker's routes take `{name:.*}`, so slashes of a repository stay path separators; every other
 * character of each segment is percent-encoded, which Docker decodes before matching.
 */
function encodeName(nameOrId: string): string {
  return nameOrId.split("/").map(encodeURIComponent).join("/");
}

/** Narrows each progress object; the first error object ends the pull with Docker's message. */
async function* pullMessages(lines: AsyncGenerator<unknown, void, undefined>): AsyncGenerator<PullProgress, void, undefined> {
  for await (const line of lines) {
    const r = JsonObjectReader.of(line, 'Docker "pull_image" progress');
    const detail = r.optObject("errorDetail");
    if (detail !== undefined || r.has("error")) {
      const message = detail?.optString("message") || r.optString("error") || "unknown error";
      // errorDetail.code, when set, is the registry's HTTP status; without it the failure is the daemon's.
      const code = detail?.optNumber("code") ?? 0;
      throw errorForStatus("pull_image", code > 0 ? code : 500, { message });
    }
    const progress = r.optObject("progressDetail");
    yield {
      id: r.optString("id"),
      status: r.optString("status"),
      progress: r.optString("progress"),
      current: progress?.has("current") === true ? progress.number("current") : undefined,
      total: progress?.has("total") === true ? progress.number("total") : undefined,
    };
  }
}

function notAnArray(operation: string): CriError {
  return new CriError("Internal", `Unexpected Docker "${operation}" response: the body is not an array`);
}
