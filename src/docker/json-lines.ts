import type { Readable } from "node:stream";
import { CriError } from "../errors/index.js";

/** A progress line longer than this means a broken peer; Docker's are a few hundred bytes. */
const maxLineBytes = 1024 * 1024;

/**
 * The JSON values of a newline-delimited JSON stream (pull progress, events), one per line, as they
 * arrive. Docker's encoder ends each object with "\n" (some versions "\r\n"); blank lines are
 * skipped and a last line without its newline still counts. Leaving the loop early destroys the
 * source, which aborts the request behind it.
 */
export async function* jsonLines(source: Readable, operation: string): AsyncGenerator<unknown, void, undefined> {
  let pending = "";
  try {
    for await (const chunk of source) {
      // A Readable without an encoding yields Buffers; a string chunk is already text.
      pending += Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk);
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        const value = parseLine(line, operation);
        if (value !== undefined) yield value;
        newline = pending.indexOf("\n");
      }
      if (pending.length > maxLineBytes) {
        throw new CriError("Internal", `Docker "${operation}" sent a line longer than ${maxLineBytes} bytes without a newline`);
      }
    }
    const last = parseLine(pending, operation);
    if (last !== undefined) yield last;
  } finally {
    if (!source.destroyed) source.destroy();
  }
}

function parseLine(line: string, operation: string): unknown {
  const text = line.trim();
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CriError("Internal", `Docker "${operation}" sent invalid JSON in its stream: ${text.slice(0, 200)}`, { cause: err });
  }
}
