/**
 * SPDY/3 framing as Kubernetes' spdystream speaks it (SPDY draft 3; "3.1" only adds session flow
 * control, which nobody on this path uses). Every frame has an 8-byte header, big-endian:
 *
 *   control: 1 | version(15) = 3 | type(16) | flags(8) | length(24) | payload
 *   data:    0 | stream id(31)             | flags(8) | length(24) | payload
 *
 * This file only cuts bytes into frames and builds frames; what a frame means is the session's job.
 */
import { CriError } from "../../errors/index.js";

export const spdyVersion = 3;

export const ControlType = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goaway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

/** FIN on data and control frames; UNIDIRECTIONAL (0x02) is never used by Kubernetes. */
export const flagFin = 0x01;

/** RST_STREAM status codes. */
export const RstStatus = {
  protocolError: 1,
  invalidStream: 2,
  refusedStream: 3,
  unsupportedVersion: 4,
  cancel: 5,
  internalError: 6,
  flowControlError: 7,
  streamInUse: 8,
  streamAlreadyClosed: 9,
  frameTooLarge: 11,
} as const;

/** GOAWAY status codes. */
export const GoawayStatus = { ok: 0, protocolError: 1, internalError: 2 } as const;

export type SpdyFrame =
  | { readonly kind: "data"; readonly streamId: number; readonly flags: number; readonly data: Buffer }
  | { readonly kind: "control"; readonly type: number; readonly flags: number; readonly payload: Buffer };

const headerLen = 8;
/** The 24-bit length field's limit. */
export const maxFramePayload = 0xffffff;
const streamIdMask = 0x7fffffff;

/**
 * Incremental frame parser. Socket reads split frames anywhere; chunks are queued and only joined
 * once a whole frame is there, so a large frame arriving in many reads is copied once.
 */
export class SpdyFrameParser {
  #chunks: Buffer[] = [];
  #length = 0;

  /** Returns the frames completed by `chunk`, in order. Throws Internal on a frame we cannot read. */
  push(chunk: Buffer): SpdyFrame[] {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
    }
    const frames: SpdyFrame[] = [];
    while (this.#length >= headerLen) {
      const header = this.#peek(headerLen);
      const payloadLen = header.readUInt32BE(4) & maxFramePayload;
      if (this.#length < headerLen + payloadLen) break;
      const frame = this.#take(headerLen + payloadLen);
      const flags = frame.readUInt8(4);
      const payload = frame.subarray(headerLen);
      const first = frame.readUInt32BE(0);
      if ((first & 0x80000000) !== 0) {
        const version = (first >>> 16) & 0x7fff;
        if (version !== spdyVersion) {
          throw new CriError("Internal", `Invalid SPDY frame: version ${version}, expected ${spdyVersion}`);
        }
        frames.push({ kind: "control", type: first & 0xffff, flags, payload });
      } else {
        frames.push({ kind: "data", streamId: first & streamIdMask, flags, data: payload });
      }
    }
    return frames;
  }

  /** Bytes received but not yet part of a whole frame. */
  get pendingBytes(): number {
    return this.#length;
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.#chunks, this.#length).subarray(0, n);
  }

  #take(n: number): Buffer {
    const first = this.#chunks[0];
    let out: Buffer;
    if (first !== undefined && first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.#chunks, this.#length);
      out = all.subarray(0, n);
      this.#chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.#length -= n;
    return out;
  }
}

function controlHeader(type: number, flags: number, length: number): Buffer {
  if (length > maxFramePayload) throw new CriError("Internal", `SPDY control frame too large: ${length} bytes`);
  const h = Buffer.alloc(headerLen);
  h.writeUInt32BE((0x80000000 | (spdyVersion << 16) | type) >>> 0, 0);
  h.writeUInt32BE(((flags << 24) | length) >>> 0, 4);
  return h;
}

/** The 8-byte header of a DATA frame; the payload is written after it unchanged. */
export function dataFrameHeader(streamId: number, flags: number, length: number): Buffer {
  if (length > maxFramePayload) throw new CriError("Internal", `SPDY data frame too large: ${length} bytes`);
  const h = Buffer.alloc(headerLen);
  h.writeUInt32BE(streamId & streamIdMask, 0);
  h.writeUInt32BE(((flags << 24) | length) >>> 0, 4);
  return h;
}

/** SYN_REPLY: stream id, then the compressed header block. */
export function synReplyFrame(streamId: number, flags: number, headerBlock: Buffer): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt32BE(streamId & streamIdMask, 0);
  return Buffer.concat([controlHeader(ControlType.synReply, flags, 4 + headerBlock.length), body, headerBlock]);
}

export function rstStreamFrame(streamId: number, status: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt32BE(streamId & streamIdMask, 0);
  body.writeUInt32BE(status, 4);
  return Buffer.concat([controlHeader(ControlType.rstStream, 0, 8), body]);
}

export function pingFrame(id: number): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt32BE(id >>> 0, 0);
  return Buffer.concat([controlHeader(ControlType.ping, 0, 4), body]);
}

export function goawayFrame(lastGoodStreamId: number, status: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt32BE(lastGoodStreamId & streamIdMask, 0);
  body.writeUInt32BE(status, 4);
  return Buffer.concat([controlHeader(ControlType.goaway, 0, 8), body]);
}

/** The parts of a SYN_STREAM payload; the header block starts at offset 10. */
export interface SynStream {
  readonly streamId: number;
  readonly associatedId: number;
  readonly priority: number;
  readonly headerBlock: Buffer;
}

export function parseSynStream(payload: Buffer): SynStream {
  if (payload.length < 10) throw new CriError("Internal", `Invalid SPDY SYN_STREAM: payload of ${payload.length} bytes`);
  return {
    streamId: payload.readUInt32BE(0) & streamIdMask,
    associatedId: payload.readUInt32BE(4) & streamIdMask,
    priority: payload.readUInt8(8) >>> 5,
    headerBlock: payload.subarray(10),
  };
}

/** RST_STREAM, GOAWAY: two uint32 (stream id, status). */
export function parseIdAndStatus(payload: Buffer, what: string): { id: number; status: number } {
  if (payload.length < 8) throw new CriError("Internal", `Invalid SPDY ${what}: payload of ${payload.length} bytes`);
  return { id: payload.readUInt32BE(0) & streamIdMask, status: payload.readUInt32BE(4) };
}

/** HEADERS / SYN_REPLY: stream id, then the header block. */
export function parseStreamHeaders(payload: Buffer, what: string): { streamId: number; headerBlock: Buffer } {
  if (payload.length < 4) throw new CriError("Internal", `Invalid SPDY ${what}: payload of ${payload.length} bytes`);
  return { streamId: payload.readUInt32BE(0) & streamIdMask, headerBlock: payload.subarray(4) };
}
