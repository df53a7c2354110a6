import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { errorMessage } from "../../errors/index.js";
import type { Logger } from "../../logger/index.js";
import { decodeHeaderBlock, encodeHeaderBlock } from "./header-block.js";
import { HeaderCompressor, HeaderDecompressor } from "./header-compression.js";
import {
  ControlType,
  dataFrameHeader,
  flagFin,
  GoawayStatus,
  goawayFrame,
  parseIdAndStatus,
  parseStreamHeaders,
  parseSynStream,
  pingFrame,
  RstStatus,
  rstStreamFrame,
  SpdyFrameParser,
  synReplyFrame,
  type SpdyFrame,
} from "./spdy-frame.js";
import { SpdyStream, type SpdyStreamSink } from "./spdy-stream.js";

export interface SpdySessionOptions {
  /** The upgraded connection (or any byte stream carrying SPDY, e.g. a WebSocket tunnel). */
  readonly socket: Duplex;
  /** Bytes that arrived with the upgrade request; they are the first frames. */
  readonly head?: Buffer;
  readonly log: Logger;
  /**
   * Called for every SYN_STREAM the peer opens, before the reply: false refuses the stream
   * (RST_STREAM REFUSED_STREAM). Absent: every stream is accepted.
   */
  readonly accept?: (stream: SpdyStream) => boolean;
  /** An accepted stream, called right after its SYN_REPLY went out (so writing to it is allowed). */
  readonly onStream: (stream: SpdyStream) => void;
  /** The peer sent GOAWAY: it opens no more streams. */
  readonly onGoaway?: () => void;
}

/** After our GOAWAY and FIN, how long the peer gets to close its side before the socket is destroyed. */
const closeGraceMs = 5_000;

/**
 * The server side of one SPDY/3.1 connection as Kubernetes uses it (peer: moby/spdystream): the peer
 * opens every stream (odd ids, increasing), we accept or refuse each; no flow control (spdystream
 * never sends WINDOW_UPDATE and ignores ours, so we send none and ignore SETTINGS/WINDOW_UPDATE);
 * PINGs with the peer's (odd) ids are echoed; GOAWAY stops new streams.
 *
 * Frames are handled strictly in order, one at a time: header blocks share one zlib stream per
 * direction, and a stream must exist before its first DATA frame. While a stream's reader is
 * behind, the socket is not read (bounded memory; the price is that one slow stream holds the
 * others back, as over any single TCP connection).
 */
export class SpdySession implements SpdyStreamSink {
  readonly closed: Promise<void>;
  readonly #socket: Duplex;
  readonly #log: Logger;
  readonly #opts: SpdySessionOptions;
  readonly #streams = new Map<number, SpdyStream>();
  readonly #compressor = new HeaderCompressor();
  readonly #decompressor = new HeaderDecompressor();
  #lastRemoteId = 0;
  #goingAway = false;
  #closing = false;
  #torndown = false;

  constructor(opts: SpdySessionOptions) {
    this.#opts = opts;
    this.#socket = opts.socket;
    this.#log = opts.log;
    this.#socket.on("error", (err: unknown) => {
      this.#log.debug({ err: errorMessage(err) }, "SPDY connection error");
    });
    if (isSocket(this.#socket)) this.#socket.setNoDelay(true);
    this.closed = this.#run();
  }

  /** Streams currently open. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** Graceful end: GOAWAY(last accepted id, OK), then FIN; the peer closes its side. */
  close(): void {
    if (this.#closing || this.#torndown) return;
    this.#closing = true;
    this.#write(goawayFrame(this.#lastRemoteId, GoawayStatus.ok));
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), closeGraceMs).unref();
  }

  /** Immediate end: every stream is torn down and the connection dropped. */
  destroy(): void {
    this.#socket.destroy();
    this.#teardown();
  }

  writeData(streamId: number, fin: boolean, data: Buffer): boolean {
    if (!this.#canWrite()) return true;
    const header = dataFrameHeader(streamId, fin ? flagFin : 0, data.length);
    if (data.length === 0) return this.#socket.write(header);
    // Small frames go out as one write; big ones without copying the payload.
    if (data.length < 4096) return this.#socket.write(Buffer.concat([header, data]));
    this.#socket.write(header);
    return this.#socket.write(data);
  }

  drained(): Promise<void> {
    if (!this.#canWrite() || !this.#socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#socket.off("drain", done);
        this.#socket.off("close", done);
        resolve();
      };
      this.#socket.on("drain", done);
      this.#socket.on("close", done);
    });
  }

  reset(streamId: number, status: number): void {
    this.#write(rstStreamFrame(streamId, status));
  }

  streamGone(streamId: number): void {
    this.#streams.delete(streamId);
  }

  async #run(): Promise<void> {
    const parser = new SpdyFrameParser();
    try {
      const head = this.#opts.head;
      if (head !== undefined && head.length > 0) await this.#handleAll(parser.push(head));
      for await (const chunk of this.#socket) {
        // A socket without an encoding yields Buffers; the check keeps a misconfigured one from corrupting frames.
        if (!Buffer.isBuffer(chunk)) throw new Error("the connection yields strings, not bytes");
        await this.#handleAll(parser.push(chunk));
      }
    } catch (err) {
      if (!this.#torndown && !this.#closing) {
        this.#log.debug({ err: errorMessage(err) }, "SPDY connection failed");
        this.#write(goawayFrame(this.#lastRemoteId, GoawayStatus.protocolError));
      }
    } finally {
      this.#socket.destroy();
      this.#teardown();
    }
  }

  async #handleAll(frames: SpdyFrame[]): Promise<void> {
    for (const frame of frames) {
      if (this.#torndown) return;
      if (frame.kind === "data") await this.#handleData(frame.streamId, frame.flags, frame.data);
      else await this.#handleControl(frame.type, frame.flags, frame.payload);
    }
  }

  async #handleData(streamId: number, flags: number, data: Buffer): Promise<void> {
    const stream = this.#streams.get(streamId);
    if (stream === undefined) {
      // Late frames for a stream we already reset are normal; anything else is the peer's bug.
      this.#log.trace({ streamId }, "SPDY data for an unknown stream ignored");
      return;
    }
    if (stream.remoteClosed) {
      this.reset(streamId, RstStatus.streamAlreadyClosed);
      stream.receiveReset();
      return;
    }
    if (!stream.receive(data, (flags & flagFin) !== 0)) await stream.waitForRead();
  }

  async #handleControl(type: number, flags: number, payload: Buffer): Promise<void> {
    switch (type) {
      case ControlType.synStream: {
        const syn = parseSynStream(payload);
        // Always inflate, even for a stream we refuse: the zlib stream must stay in step.
        const headers = decodeHeaderBlock(await this.#decompressor.decompress(syn.headerBlock));
        this.#acceptStream(syn.streamId, headers, (flags & flagFin) !== 0);
        return;
      }
      case ControlType.synReply:
      case ControlType.headers: {
        // We open no streams and act on no trailing headers, but the block is part of the zlib stream.
        await this.#decompressor.decompress(parseStreamHeaders(payload, type === ControlType.headers ? "HEADERS" : "SYN_REPLY").headerBlock);
        return;
      }
      case ControlType.rstStream: {
        const { id, status } = parseIdAndStatus(payload, "RST_STREAM");
        this.#log.trace({ streamId: id, status }, "SPDY stream reset by the peer");
        this.#streams.get(id)?.receiveReset();
        return;
      }
      case ControlType.ping: {
        if (payload.length < 4) return;
        const id = payload.readUInt32BE(0);
        // Odd ids are the client's pings: echo them unchanged. Even ids would answer pings of ours; we send none.
        if (id % 2 === 1) this.#write(pingFrame(id));
        return;
      }
      case ControlType.goaway: {
        this.#goingAway = true;
        this.#log.trace("SPDY GOAWAY from the peer");
        this.#opts.onGoaway?.();
        return;
      }
      default:
        // SETTINGS and WINDOW_UPDATE carry flow control nobody uses here; unknown types are ignored per spec.
        return;
    }
  }

  #acceptStream(id: number, headers: ReturnType<typeof decodeHeaderBlock>, fin: boolean): void {
    if (id % 2 === 0 || id <= this.#lastRemoteId) {
      this.reset(id, RstStatus.protocolError);
      return;
    }
    this.#lastRemoteId = id;
    if (this.#goingAway || this.#closing) {
      this.reset(id, RstStatus.refusedStream);
      return;
    }
    const stream = new SpdyStream(id, headers, this);
    stream.on("error", (err: unknown) => {
      this.#log.trace({ streamId: id, err: errorMessage(err) }, "SPDY stream error");
    });
    this.#streams.set(id, stream);
    const accept = this.#opts.accept;
    if (accept !== undefined && !accept(stream)) {
      this.#streams.delete(id);
      this.reset(id, RstStatus.refusedStream);
      stream.receiveReset();
      return;
    }
    this.#write(synReplyFrame(id, 0, this.#compressor.compress(encodeHeaderBlock({}))));
    this.#opts.onStream(stream);
    if (fin) stream.receive(Buffer.alloc(0), true);
  }

  #write(frame: Buffer): void {
    if (this.#canWrite()) this.#socket.write(frame);
  }

  #canWrite(): boolean {
    return !this.#torndown && !this.#socket.destroyed && !this.#socket.writableEnded;
  }

  #teardown(): void {
    if (this.#torndown) return;
    this.#torndown = true;
    for (const s of [...this.#streams.values()]) s.receiveReset();
    this.#streams.clear();
    this.#decompressor.close();
  }
}

function isSocket(d: Duplex): d is Socket {
  return typeof Reflect.get(d, "setNoDelay") === "function";
}
