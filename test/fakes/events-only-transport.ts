/**
 * A Docker transport for the state cache's unit tests whose one working call is the events stream:
 * every `stream` call pushes a fresh PassThrough onto `streams`, into which the test writes Docker's
 * event lines; the caller's abort destroys it, as a dropped connection would. Every other call rejects.
 */
import { PassThrough } from "node:stream";
import type { DockerStreamResponse, DockerTransport } from "../../src/docker/index.js";

export function eventsOnlyTransport(streams: PassThrough[]): DockerTransport {
  return {
    endpoint: "fake",
    apiVersion: "1.41",
    useApiVersion: () => undefined,
    request: () => Promise.reject(new Error("not used")),
    hijack: () => Promise.reject(new Error("not used")),
    close: () => Promise.resolve(),
    stream: (opts: { signal?: AbortSignal }): Promise<DockerStreamResponse> => {
      const body = new PassThrough();
      opts.signal?.addEventListener("abort", () => body.destroy(), { once: true });
      streams.push(body);
      return Promise.resolve({ status: 200, headers: {}, body });
    },
  };
}
