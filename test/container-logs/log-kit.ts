/**
 * Helpers for the container log tests: a stand-in for Docker's json-file writer (one JSON object a
 * line, Go RFC3339Nano times in UTC, rotation by renaming to `.1`, `.2`, …), and a reader of CRI log
 * files that is written from the format, not from src/logs.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, renameSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface JsonEntry {
  readonly log: string;
  readonly stream: "stdout" | "stderr";
  readonly time: string;
}

/** Formats `ns` since the epoch as Go's time.RFC3339Nano in UTC: trailing zeros of the fraction trimmed. */
export function goRfc3339Nano(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  const base = new Date(ms).toISOString().slice(0, 19);
  return frac === "" ? `${base}Z` : `${base}.${frac}Z`;
}

/** Writes json-file lines the way Docker does (one write per entry), with strictly increasing times. */
export class JsonFileWriter {
  readonly path: string;
  readonly entries: JsonEntry[] = [];
  #ns: bigint;
  #rotations = 0;

  constructor(path: string, startNs = BigInt(Date.now()) * 1_000_000n) {
    this.path = path;
    this.#ns = startNs;
  }

  /** Appends one entry; `log` carries its own "\n" (or not, for a partial line). */
  write(stream: "stdout" | "stderr", log: string): JsonEntry {
    const entry = this.entry(stream, log);
    appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
    return entry;
  }

  /** Records the next entry without writing it, for tests that write many lines at once. */
  entry(stream: "stdout" | "stderr", log: string): JsonEntry {
    this.#ns += 1000n + BigInt(this.entries.length % 7); // uneven gaps, so some times end in zeros
    const entry: JsonEntry = { log, stream, time: goRfc3339Nano(this.#ns) };
    this.entries.push(entry);
    return entry;
  }

  /** Writes the first `cut` bytes of an entry's line now and the rest later (Docker mid-write). */
  writeInTwo(stream: "stdout" | "stderr", log: string, cut: number): () => void {
    this.#ns += 1000n;
    const entry: JsonEntry = { log, stream, time: goRfc3339Nano(this.#ns) };
    const line = Buffer.from(`${JSON.stringify(entry)}\n`);
    appendFileSync(this.path, line.subarray(0, cut));
    this.entries.push(entry);
    return () => {
      appendFileSync(this.path, line.subarray(cut));
    };
  }

  /** Docker's rotation: path.(n-1) → path.n, …, path → path.1; the next write creates a new path. */
  rotate(maxFiles = 100): void {
    for (let n = maxFiles - 1; n >= 1; n--) {
      if (existsSync(`${this.path}.${n}`)) renameSync(`${this.path}.${n}`, `${this.path}.${n + 1}`);
    }
    renameSync(this.path, `${this.path}.1`);
    this.#rotations++;
  }

  get rotations(): number {
    return this.#rotations;
  }
}

/** The CRI line an entry must become: what the format says, written independently of src/logs. */
export function expectedCriLine(e: JsonEntry): string {
  const full = e.log.endsWith("\n");
  return `${e.time} ${e.stream} ${full ? "F" : "P"} ${full ? e.log.slice(0, -1) : e.log}`;
}

export interface CriLine {
  readonly time: string;
  readonly stream: string;
  readonly tag: string;
  readonly content: string;
}

/** Splits a CRI log file into its lines; throws on anything that is not `<time> <stream> <F|P> <text>`. */
export function parseCriFile(text: string): CriLine[] {
  if (text === "") return [];
  assertEndsWithNewline(text);
  return text.slice(0, -1).split("\n").map((line) => {
    const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
    if (m === null) throw new Error(`Not a CRI log line: ${JSON.stringify(line.slice(0, 200))}`);
    const [, time = "", stream = "", tag = "", content = ""] = m;
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/.test(time)) throw new Error(`Not an RFC3339Nano time: ${time}`);
    return { time, stream, tag, content };
  });
}

function assertEndsWithNewline(text: string): void {
  if (!text.endsWith("\n")) throw new Error(`CRI log does not end with a newline: ${JSON.stringify(text.slice(-100))}`);
}

/** The lines of the given CRI files, concatenated in order (missing files count as empty). */
export function readCriLines(...paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const text = readFileSync(p, "utf8");
    parseCriFile(text);
    if (text !== "") for (const line of text.slice(0, -1).split("\n")) out.push(line);
  }
  return out;
}

/** Polls `check` until it returns true, failing with `what` after `timeoutMs`. */
/**
 * How many whole lines the CRI log files hold so far, for polling while the copy runs: a read can
 * catch the writer mid-line, so a partial last line is not counted (and not an error, as it is for
 * readCriLines once the copy has stopped).
 */
export function completeCriLineCount(...paths: string[]): number {
  let n = 0;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const text = readFileSync(p, "utf8");
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  }
  return n;
}

/** A temp directory with docker/, cri/ and state/ inside, removed by `cleanup`. */
export async function tempLayout(prefix: string): Promise<{ root: string; docker: string; cri: string; state: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), `docker-cri-${prefix}-`));
  return {
    root,
    docker: join(root, "docker"),
    cri: join(root, "pods", "ns_pod_uid", "ctr"),
    state: join(root, "state"),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** A random 64-hex container id, like Docker's. */
export function fakeContainerId(): string {
  return randomBytes(32).toString("hex");
}
