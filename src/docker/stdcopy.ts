import { once } from "node:events";
import type { Readable, Writable } from "node:stream";
import { CriError } from "../errors/index.js";

/** Stream ids in the frame header; stdin (0) is written to stdout, as Docker's stdcopy does. */
export const StdStream = { stdin: 0, stdout: 1, stderr: 2, systemErr: 3 } as const;

export interface StdFrame {
  readonly stream: 0 | 1 | 2 | 3;
  readonly payload: Buffer;
}

const headerLen = 8;

/**
 * Incremental parser of Docker's multiplexed stream: frames of an 8-byte header (stream id, three
 * zero bytes, big-endian uint32 payload length) and the payload. Socket reads split frames
 * anywhere, including inside the header, so bytes are buffered until a whole frame is present.
 */
export class StdFrameParser {
  #pending: Buffer = Buffer.alloc(0);

  /** Returns the frames completed by `chunk`, in order. */
  push(chunk: Buffer): StdFrame[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: StdFrame[] = [];
    let offset = 0;
    while (this.#pending.length - offset >= headerLen) {
      const stream = this.#pending.readUInt8(offset);
      if (stream > 3) {
        throw new CriError("Internal", `Invalid multiplexed Docker stream: unknown stream id ${stream} in a frame header`);
      }
      const size = this.#pending.readUInt32BE(offset + 4);
      if (this.#pending.length - offset - headerLen < size) break;
      const start = offset + headerLen;
      // The cast is safe: ids above 3 were rejected just above. subarray shares memory with
      // #pending, which is only ever replaced, never written to, so the payload stays intact.
      frames.push({ stream: stream as StdFrame["stream"], payload: this.#pending.subarray(start, start + size) });
      offset = start + size;
    }
    this.#pending = this.#pending.subarray(offset);
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.#pending.length;
  }
}

/**
 * Copies a multiplexed stream (non-TTY attach, exec or logs) to stdout and stderr, respecting their
 * backpressure. A system-error frame (id 3) fails the copy with the daemon's text. A truncated last
 * frame is dropped silently, like Go's stdcopy.StdCopy, because a connection cut by the daemon at
 * the end of an exec is normal. Resolves when the source ends.
 */
export async function demuxStream(source: Readable, stdout: Writable | null, stderr: Writable | null): Promise<void> {
  const parser = new StdFrameParser();
  for await (const chunk of source) {
    // A Readable without an encoding yields Buffers; a string means someone set one, which would corrupt binary frames.
    if (!Buffer.isBuffer(chunk)) {
      throw new CriError("Internal", "Invalid multiplexed Docker stream: the source yields strings, not bytes");
    }
    for (const frame of parser.push(chunk)) {
      if (frame.stream === StdStream.systemErr) {
        throw new CriError("Internal", `Error from daemon in stream: ${frame.payload.toString("utf8")}`);
      }
      const target = frame.stream === StdStream.stderr ? stderr : stdout;
      if (target !== null && frame.payload.length > 0 && !target.write(frame.payload)) {
        await drained(target);
      }
    }
  }
}

/** Waits for `drain`; a destination closed or failed meanwhile (the client went away) ends the copy. */
async function drained(target: Writable): Promise<void> {
  const ac = new AbortController();
  try {
    await Promise.race([
      once(target, "drain", { signal: ac.signal }),
      once(target, "close", { signal: ac.signal }).then(() => {
        throw new CriError("Canceled", "Copying the multiplexed Docker stream stopped: the destination was closed");
      }),
    ]);
  } finally {
    ac.abort();
  }
}
