/**
 * A GetContainerEvents subscriber for tests, on the CRI client's open stream. Collects what arrives
 * and lets a test wait for an event.
 */
import { RuntimeService, type ContainerEventResponse } from "../../src/gen/index.js";
import { criClient } from "./cri-client.js";
import { waitFor } from "./wait-for.js";

export interface EventSubscriber {
  readonly events: ContainerEventResponse[];
  /** Set when the stream ended (with the error, if any). */
  readonly ended: { done: boolean; error: unknown };
  /** Waits until an event satisfies `match` (searching from the start), or throws after `ms`. */
  waitFor(match: (e: ContainerEventResponse) => boolean, ms?: number, what?: string): Promise<ContainerEventResponse>;
  pause(): void;
  resume(): void;
  close(): void;
}

export function subscribeEvents(socketPath: string): EventSubscriber {
  const client = criClient(socketPath);
  const call = client.open(RuntimeService.method.getContainerEvents, {});
  const events: ContainerEventResponse[] = [];
  const ended: { done: boolean; error: unknown } = { done: false, error: undefined };
  call.on("data", (e: ContainerEventResponse) => events.push(e));
  call.on("error", (err: unknown) => {
    ended.done = true;
    ended.error = err;
  });
  call.on("end", () => {
    ended.done = true;
  });
  return {
    events,
    ended,
    waitFor(match, ms = 15_000, what = "event") {
      return waitFor(what, () => events.find(match), { timeoutMs: ms, intervalMs: 25, detail: () => `got ${events.length} events` });
    },
    pause() {
      call.pause();
    },
    resume() {
      call.resume();
    },
    close() {
      call.cancel();
      client.close();
    },
  };
}
