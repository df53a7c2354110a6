/**
 * SPDY/3 header compression: one zlib stream per direction per connection, preset with the SPDY/3
 * dictionary. Each side's header blocks are consecutive pieces of that one stream, so state (the
 * window the peer's compressor refers back into) survives across frames.
 *
 * Outgoing: we never need to compress well (our SYN_REPLY blocks are empty or tiny), so the stream
 * is written by hand as stored (uncompressed) deflate blocks. Every block ends with a sync flush,
 * an empty stored block (00 00 00 ff ff): Go's flate reader hands out a stored block's bytes only
 * when it reaches the next block header, so without the marker it would read past the frame, hit
 * EOF, and that error sticks to the connection's decompressor (the client accepts the first
 * SYN_REPLY and never a second one).
 *
 * Incoming: the peer's stream is real deflate, so it goes through node:zlib's inflate, kept open for
 * the connection's life; the peer sync-flushes each block, so a Z_SYNC_FLUSH yields it whole.
 */
import { constants, createInflate, type Inflate } from "node:zlib";
import { CriError, errorMessage } from "../../errors/index.js";
import { maxHeaderBlockBytes } from "./header-block.js";
import { spdyDictionary } from "./spdy-dictionary.js";

/** Adler-32 (RFC 1950), for the DICTID field of the zlib header. */
export function adler32(buf: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of buf) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Sync-flush marker: an empty, non-final stored block. */
const syncFlush = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
const maxStored = 0xffff;

export class HeaderCompressor {
  #started = false;

  /** The bytes of `block` as the next piece of this direction's zlib stream. */
  compress(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.#started) {
      this.#started = true;
      parts.push(zlibHeaderWithDictionary());
    }
    for (let off = 0; off < block.length; off += maxStored) {
      const piece = block.subarray(off, off + maxStored);
      const h = Buffer.alloc(5);
      h.writeUInt8(0x00, 0); // BFINAL=0, BTYPE=00 (stored), padded to the byte boundary
      h.writeUInt16LE(piece.length, 1);
      h.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(h, piece);
    }
    parts.push(syncFlush);
    return Buffer.concat(parts);
  }
}

/** CMF 0x78 (deflate, 32 KiB window), FLG with FDICT and a valid check, then the dictionary's Adler-32. */
function zlibHeaderWithDictionary(): Buffer {
  const cmf = 0x78;
  let flg = 0x20; // FDICT, FLEVEL 0
  flg += 31 - ((cmf * 256 + flg) % 31 || 31);
  const h = Buffer.alloc(6);
  h.writeUInt8(cmf, 0);
  h.writeUInt8(flg, 1);
  h.writeUInt32BE(adler32(spdyDictionary), 2);
  return h;
}

/**
 * The inflating side. `decompress` calls are serialized: blocks must go through the stream in the
 * order they arrived, which the session guarantees by awaiting each before the next frame.
 */
export class HeaderDecompressor {
  readonly #inflate: Inflate;
  #out: Buffer[] = [];
  #outBytes = 0;
  #failure: CriError | undefined;

  constructor() {
    this.#inflate = createInflate({ dictionary: spdyDictionary });
    this.#inflate.on("data", (chunk: Buffer) => {
      this.#out.push(chunk);
      this.#outBytes += chunk.length;
    });
    this.#inflate.on("error", (err: unknown) => {
      this.#failure = new CriError("Internal", `Invalid SPDY header compression: ${errorMessage(err)}`, { cause: err });
    });
  }

  async decompress(block: Buffer): Promise<Buffer> {
    this.#throwIfFailed();
    // A corrupt stream makes inflate emit `error` and never call the flush back.
    await new Promise<void>((resolve, reject) => {
      const onError = (): void => {
        reject(this.#failure ?? new CriError("Internal", "Invalid SPDY header compression"));
      };
      this.#inflate.once("error", onError);
      if (block.length > 0) this.#inflate.write(block);
      this.#inflate.flush(constants.Z_SYNC_FLUSH, () => {
        this.#inflate.off("error", onError);
        resolve();
      });
    });
    this.#throwIfFailed();
    const out = Buffer.concat(this.#out, this.#outBytes);
    this.#out = [];
    this.#outBytes = 0;
    if (out.length > maxHeaderBlockBytes) {
      throw new CriError("Internal", `SPDY header block too large: ${out.length} bytes after decompression`);
    }
    return out;
  }

  close(): void {
    this.#inflate.destroy();
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
