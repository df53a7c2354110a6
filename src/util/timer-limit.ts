/**
 * Node's timers take at most 2^31-1 ms (about 24.8 days); a longer delay is silently replaced by 1 ms,
 * so an absurd timeout (a CRI int64 of seconds, or a grace period plus our own margin) would fire at
 * once instead of never (found by test/chaos fuzzing: ExecSync and StopContainer with an int64-max
 * timeout failed immediately with DeadlineExceeded). Longer delays are held at the limit.
 */
export const maxTimerMs = 2 ** 31 - 1;

export function clampTimerMs(ms: number): number {
  return Number.isFinite(ms) ? Math.min(ms, maxTimerMs) : maxTimerMs;
}
