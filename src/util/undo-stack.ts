import { errorMessage } from "../errors/index.js";
import type { Logger } from "../logger/index.js";

interface UndoStep {
  readonly what: string;
  readonly undo: (signal: AbortSignal) => Promise<void>;
}

/**
 * Multi-step creation: each acquired resource (a reserved name, a container, a checkpoint, a pod
 * network) pushes the step that gives it back. On failure `unwind` runs the steps in reverse order
 * under a deadline of its own, because the request's signal may be the very thing that failed; a
 * step that fails is logged and the others still run. On success `commit` forgets them.
 */
export class UndoStack {
  #steps: UndoStep[] = [];

  /** `what` names the resource in logs, e.g. `container "3f2a…"`. */
  push(what: string, undo: (signal: AbortSignal) => Promise<void>): void {
    this.#steps.push({ what, undo });
  }

  get size(): number {
    return this.#steps.length;
  }

  /** Success: the resources now belong to the caller. */
  commit(): void {
    this.#steps = [];
  }

  /**
   * Runs every step, last pushed first, each with the remaining part of `timeoutMs`. Never throws;
   * returns the number of steps that failed (each one is logged at error level with its cause).
   */
  async unwind(log: Logger, timeoutMs: number): Promise<number> {
    const steps = this.#steps.reverse();
    this.#steps = [];
    const signal = AbortSignal.timeout(timeoutMs);
    let failed = 0;
    for (const step of steps) {
      try {
        await step.undo(signal);
        log.debug({ resource: step.what }, "Rolled back");
      } catch (err) {
        failed++;
        log.error({ resource: step.what, err, reason: errorMessage(err) }, "Rollback step failed; the resource may be left behind");
      }
    }
    return failed;
  }
}
