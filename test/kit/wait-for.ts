/**
 * The one poll-until of the tests: `waitFor(what, check, { timeoutMs, intervalMs })` calls `check`
 * until it gives a value other than `undefined` or `false`, and returns that value. A check that
 * throws ends the wait with its error (a broken check should not pass for a slow one).
 *
 * Timeouts are for a loaded 2-core CI machine: generous, since a passing test never waits them out.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { inspect } from "node:util";

export interface WaitForOptions {
  /** How long to keep trying; default 10 s. The check runs once more after the time is up. */
  readonly timeoutMs?: number;
  /** The pause between two checks; default 50 ms. */
  readonly intervalMs?: number;
  /** What to add to the timeout's message, e.g. the state the check last saw. */
  readonly detail?: () => string;
}

/**
 * Waits until `check` gives a value (not `undefined`, not `false`) and returns it; after `timeoutMs`
 * throws `Timed out after N ms waiting for <what>; the last check gave <value>` (then `: <detail>`).
 */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, opts: WaitForOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const detail = opts.detail === undefined ? "" : `: ${opts.detail()}`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; the last check gave ${inspect(value)}${detail}`);
    }
    await sleep(intervalMs);
  }
}
