/**
 * Docker's json-file `time` and the CRI log line's first field are both Go's RFC3339Nano: UTC from
 * Docker ("2024-05-01T10:00:00.123456789Z"), with trailing zeros of the fraction trimmed and the
 * fraction left out entirely at a whole second. The kubelet parses the field with the same layout,
 * so Docker's text is carried over as is; this only checks it and, for the resume fallback, orders it.
 */
const rfc3339Nano = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** True when `text` is a timestamp the kubelet's RFC3339Nano parser accepts and holds no space. */
export function isRfc3339Nano(text: string): boolean {
  return rfc3339Nano.test(text);
}

/** Nanoseconds since the epoch, or undefined when `text` is not RFC3339 with an optional fraction. */
export function rfc3339NanoToNs(text: string): bigint | undefined {
  const m = rfc3339Nano.exec(text);
  if (m === null) return undefined;
  const [, dateTime = "", fraction = "", zone = ""] = m;
  const ms = Date.parse(`${dateTime}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt(fraction.padEnd(9, "0"));
}
