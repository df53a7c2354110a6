/**
 * Formats milliseconds the way Go's time.Duration.String does ("2m0s", "1.5s", "250ms", "1h0m0s"),
 * so timeout messages read like the ones operators know from dockershim and the kubelet.
 */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0s";
  if (ms < 1000) return `${trimFraction(ms)}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  const s = `${trimFraction(seconds)}s`;
  if (hours > 0) return `${hours}h${minutes}m${s}`;
  if (minutes > 0) return `${minutes}m${s}`;
  return s;
}

function trimFraction(n: number): string {
  // At most millisecond precision; Go prints no trailing zeros.
  return String(Math.round(n * 1000) / 1000);
}
