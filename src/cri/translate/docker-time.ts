/**
 * Docker's timestamps are RFC 3339 with up to nanosecond fractions ("2024-05-01T10:00:00.123456789Z"),
 * and "0001-01-01T00:00:00Z" (Go's zero time) means "never". CRI wants int64 nanoseconds; a JS Date
 * would drop the last six digits, which the kubelet uses to order restarts, so the fraction is kept
 * exactly.
 */
export function dockerTimeToNanos(text: string): bigint {
  if (text === "" || text.startsWith("0001-01-01")) return 0n;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (m === null) return 0n;
  const [, whole = "", fraction = "", zone = "Z"] = m;
  const ms = Date.parse(`${whole}${zone}`);
  if (Number.isNaN(ms)) return 0n;
  return BigInt(ms) * 1_000_000n + BigInt(fraction.padEnd(9, "0"));
}

/** Seconds since the epoch (the container list's `Created`) as nanoseconds. */
export function secondsToNanos(seconds: number): bigint {
  return BigInt(Math.trunc(seconds)) * 1_000_000_000n;
}
