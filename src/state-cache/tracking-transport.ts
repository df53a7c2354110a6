import type { DockerHijackResponse, DockerRequestOptions, DockerResponse, DockerStreamResponse, DockerTransport } from "../docker/index.js";

/** `/containers/{id}/<op>` calls that change what inspect shows. */
const mutatingOps: ReadonlySet<string> = new Set(["start", "stop", "restart", "kill", "pause", "unpause", "update", "rename"]);

/**
 * A transport that reports every container docker-cri itself changes (start, stop, kill, update,
 * rename, remove, and the id of each container it creates) once Docker has answered, whatever the
 * answer: a failed stop may still have stopped it. The state cache marks those dirty, which is how a
 * read right after our own write never sees the state from before it.
 */
export class TrackingTransport implements DockerTransport {
  readonly #inner: DockerTransport;
  readonly #changed: (idOrName: string) => void;

  constructor(inner: DockerTransport, changed: (idOrName: string) => void) {
    this.#inner = inner;
    this.#changed = changed;
  }

  get endpoint(): string {
    return this.#inner.endpoint;
  }

  get apiVersion(): string | undefined {
    return this.#inner.apiVersion;
  }

  useApiVersion(version: string): void {
    this.#inner.useApiVersion(version);
  }

  async request(opts: DockerRequestOptions): Promise<DockerResponse> {
    const target = mutatedContainer(opts);
    try {
      const res = await this.#inner.request(opts);
      if (target === "create") {
        const id: unknown = typeof res.body === "object" && res.body !== null ? Reflect.get(res.body, "Id") : undefined;
        if (typeof id === "string") this.#changed(id);
      }
      return res;
    } finally {
      if (target !== undefined && target !== "create") this.#changed(target);
    }
  }

  stream(opts: DockerRequestOptions): Promise<DockerStreamResponse> {
    return this.#inner.stream(opts);
  }

  hijack(opts: DockerRequestOptions): Promise<DockerHijackResponse> {
    return this.#inner.hijack(opts);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** The container a request changes ("create" for a creation, whose id only the answer tells). */
function mutatedContainer(opts: DockerRequestOptions): string | undefined {
  if (opts.method === "GET" || opts.method === "HEAD") return undefined;
  const m = /^\/containers\/([^/?]+)(?:\/([^/?]+))?$/.exec(opts.path);
  if (m === null) return undefined;
  const [, segment = "", op] = m;
  if (op === undefined) return opts.method === "POST" && segment === "create" ? "create" : opts.method === "DELETE" ? decodeURIComponent(segment) : undefined;
  return mutatingOps.has(op) ? decodeURIComponent(segment) : undefined;
}
