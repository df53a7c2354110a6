/**
 * Go-style durations ("2m", "1m30s", "500ms", "4h0m0s"), because cri-dockerd's flags take them and an
 * existing systemd unit must keep working when the binary is swapped.
 */
const units: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration into milliseconds; returns undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === "0") return 0;
  if (s === "") return undefined;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) return undefined;
    const [, num, unit] = m;
    if (num === undefined || unit === undefined) return undefined;
    const factor = units[unit];
    if (factor === undefined) return undefined;
    total += Number(num) * factor;
    pos = re.lastIndex;
  }
  return total;
}

/** Formats milliseconds the way Go prints a time.Duration ("2m0s", "1h0m0s", "500ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  let rest = ms / 1000;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  rest -= m * 60;
  const s = Number(rest.toFixed(3)).toString();
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
