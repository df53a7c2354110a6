import type { TerminalSize } from "../../cri/streaming/streaming-runtime.js";

/**
 * Terminal sizes from the client's resize stream (SPDY) or channel 4 (WebSocket), handed to the
 * runtime as an async iterable. The producer side feeds raw bytes: the client writes a sequence of
 * JSON objects `{"Width":80,"Height":24}` (Go struct field names; Go's encoder adds a newline; Go's
 * decoder matches keys case-insensitively), split across frames arbitrarily. A document that is not
 * such an object ends the queue, as the kubelet stops handling resizes on a decode error.
 */
export class TerminalSizeQueue implements AsyncIterable<TerminalSize> {
  #text = "";
  #sizes: TerminalSize[] = [];
  #waiter: (() => void) | undefined;
  #ended = false;

  /** Feeds bytes of the JSON sequence. */
  write(chunk: Buffer): void {
    if (this.#ended) return;
    this.#text += chunk.toString("utf8");
    for (;;) {
      const end = endOfFirstObject(this.#text);
      if (end === "incomplete") break;
      if (end === "invalid") {
        this.end();
        return;
      }
      const doc = this.#text.slice(0, end);
      this.#text = this.#text.slice(end);
      const size = parseSize(doc);
      if (size === undefined) {
        this.end();
        return;
      }
      this.push(size);
    }
    // A client that never closes its object must not make us buffer without bound.
    if (this.#text.length > 4096) this.end();
  }

  push(size: TerminalSize): void {
    if (this.#ended) return;
    this.#sizes.push(size);
    this.#wake();
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TerminalSize> {
    for (;;) {
      const next = this.#sizes.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
    }
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}

/** Index just past the first complete top-level JSON object, skipping leading whitespace. */
function endOfFirstObject(text: string): number | "incomplete" | "invalid" {
  let i = 0;
  while (i < text.length && /\s/.test(text.charAt(i))) i++;
  if (i === text.length) return "incomplete";
  if (text.charAt(i) !== "{") return "invalid";
  let depth = 0;
  let inString = false;
  for (; i < text.length; i++) {
    const c = text.charAt(i);
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i + 1;
  }
  return "incomplete";
}

function parseSize(doc: string): TerminalSize | undefined {
  let value: unknown;
  try {
    value = JSON.parse(doc);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  let width = 0;
  let height = 0;
  for (const [key, v] of Object.entries(value)) {
    const k = key.toLowerCase();
    if (k !== "width" && k !== "height") continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffff) return undefined;
    if (k === "width") width = v;
    else height = v;
  }
  return { width, height };
}
