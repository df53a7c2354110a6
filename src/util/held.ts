import { errorMessage } from "../errors/index.js";
import type { Logger } from "../logger/index.js";

/**
 * What a start-up acquired, each with the function that gives it back. `release` runs them last
 * acquired first; each runs even when one before it failed, and the first failure is thrown after.
 */
export class Held {
  #held: { readonly what: string; readonly release: (graceMs: number) => Promise<void> }[] = [];

  add(what: string, release: (graceMs: number) => Promise<void>): void {
    this.#held.push({ what, release });
  }

  async release(graceMs: number, log: Logger): Promise<void> {
    const held = this.#held.reverse();
    this.#held = [];
    let first: Error | undefined;
    for (const { what, release } of held) {
      try {
        await release(graceMs);
      } catch (err) {
        log.error({ resource: what, err, reason: errorMessage(err) }, "Cannot release a resource while stopping");
        first ??= err instanceof Error ? err : new Error(errorMessage(err));
      }
    }
    if (first !== undefined) throw first;
  }
}
