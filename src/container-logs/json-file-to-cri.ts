import { isRfc3339Nano, rfc3339NanoToNs } from "./rfc3339-nano.js";

/** What one chunk of Docker's json-file log became. */
export interface CriChunk {
  /** CRI log lines, each `<time> <stream> <F|P> <text>\n`; "" when nothing was complete. */
  readonly text: string;
  /** Bytes of the input consumed: through its last "\n". An unfinished last line is left for later. */
  readonly consumed: number;
  /** Lines that were not json-file entries and were dropped. */
  readonly skipped: number;
  /** The first dropped line (cut to 200 characters), for a warning. */
  readonly firstSkipped: string | undefined;
  /** Entries dropped because they were not newer than `skipThroughNs`. */
  readonly deduplicated: number;
  /** Still looking for the first entry newer than `skipThroughNs`. */
  readonly stillSkipping: boolean;
}

/**
 * Turns complete json-file lines (`{"log":"…","stream":"stdout|stderr","time":"…"}`) into CRI lines.
 *
 * Docker puts at most one "\n" in `log`, at its end; an entry without one is a partial line (Docker
 * cuts long lines at 16 KiB, and a final line without newline), which CRI tags `P` so that the
 * kubelet joins it with what follows; a line with its "\n" is `F`, written without the "\n". Should
 * an entry hold inner newlines, each one ends an `F` line. Docker's own timestamp is kept, not the
 * time of copying. Splitting the bytes on "\n" before decoding is safe: JSON escapes newlines inside
 * strings and no UTF-8 sequence contains the byte 0x0A.
 *
 * `skipThroughNs` drops entries up to and including that time until the first newer one, for a
 * resume that lost its offset (see log-follower.ts).
 */
export function jsonFileToCri(input: Buffer, skipThroughNs?: bigint): CriChunk {
  const last = input.lastIndexOf(0x0a);
  const consumed = last + 1;
  let skipping = skipThroughNs !== undefined;
  const out: string[] = [];
  let skipped = 0;
  let deduplicated = 0;
  let firstSkipped: string | undefined;
  if (consumed === 0) return { text: "", consumed, skipped, firstSkipped, deduplicated, stillSkipping: skipping };

  for (const line of input.toString("utf8", 0, last).split("\n")) {
    const entry = parseEntry(line);
    if (entry === undefined) {
      if (line.trim() === "") continue;
      skipped++;
      firstSkipped ??= line.slice(0, 200);
      continue;
    }
    if (skipping && skipThroughNs !== undefined) {
      const ns = rfc3339NanoToNs(entry.time);
      if (ns !== undefined && ns <= skipThroughNs) {
        deduplicated++;
        continue;
      }
      skipping = false;
    }
    const prefix = `${entry.time} ${entry.stream} `;
    const parts = entry.log.split("\n");
    const rest = parts.pop() ?? "";
    for (const full of parts) out.push(`${prefix}F ${full}\n`);
    if (rest !== "") out.push(`${prefix}P ${rest}\n`);
  }
  return { text: out.join(""), consumed, skipped, firstSkipped, deduplicated, stillSkipping: skipping };
}

interface JsonFileEntry {
  readonly log: string;
  readonly stream: "stdout" | "stderr";
  readonly time: string;
}

function parseEntry(line: string): JsonFileEntry | undefined {
  if (!line.startsWith("{")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { log, stream, time } = parsed as Record<string, unknown>; // a non-null object; fields checked below
  if (typeof log !== "string" || typeof time !== "string" || !isRfc3339Nano(time)) return undefined;
  if (stream !== "stdout" && stream !== "stderr") return undefined;
  return { log, stream, time };
}
