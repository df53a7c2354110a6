import { Duplex } from "node:stream";
import { CriError } from "../../errors/index.js";
import { headerValue, type HeaderMap } from "./header-block.js";

/** What a stream needs from its session: sending frames and learning when the socket drains. */
export interface SpdyStreamSink {
  /** Writes one DATA frame; false when the socket's buffer is full (wait for `drained`). */
  writeData(streamId: number, fin: boolean, data: Buffer): boolean;
  drained(): Promise<void>;
  reset(streamId: number, status: number): void;
  streamGone(streamId: number): void;
}

/** Our DATA frames carry at most this much; spdystream reads any size up to the 24-bit limit. */
const maxDataFrame = 64 * 1024;
const rstCancel = 5;

/**
 * One client-opened SPDY stream as a Duplex: the readable side is what the peer sends (ending at its
 * FIN), the writable side becomes DATA frames (`end()` sends an empty DATA frame with FIN). No flow
 * control, as spdystream never sends WINDOW_UPDATE. Destroying a stream that is not closed both ways
 * sends RST_STREAM(CANCEL); a peer's RST destroys it without an error (check `resetByPeer`), so that
 * a torn-down session never raises unhandled `error` events.
 *
 *   open ──peer FIN──▶ remote-closed ──our FIN──▶ closed
 *     └──our FIN────▶ local-closed ──peer FIN──▶ closed        (any state) ──RST either way──▶ closed
 */
export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: HeaderMap;
  readonly #sink: SpdyStreamSink;
  #remoteFin = false;
  #localFin = false;
  #resetByPeer = false;
  #readWaiter: (() => void) | undefined;

  constructor(id: number, headers: HeaderMap, sink: SpdyStreamSink) {
    super({ allowHalfOpen: true });
    this.id = id;
    this.headers = headers;
    this.#sink = sink;
  }

  /** The `streamtype` header (exec/attach: error, stdin, stdout, stderr, resize; port forward: error, data). */
  get streamType(): string | undefined {
    return headerValue(this.headers, "streamtype");
  }

  get resetByPeer(): boolean {
    return this.#resetByPeer;
  }

  get remoteClosed(): boolean {
    return this.#remoteFin;
  }

  /**
   * Session → stream: a DATA frame's payload. Returns false when the consumer is behind; the session
   * then stops reading the socket until `waitForRead` resolves.
   */
  receive(data: Buffer, fin: boolean): boolean {
    if (this.destroyed || this.#remoteFin) return true;
    let more = true;
    if (data.length > 0) more = this.push(data);
    if (fin) {
      this.#remoteFin = true;
      this.push(null);
      this.#maybeGone();
    }
    return more;
  }

  /** Session → stream: the peer reset the stream (or the connection went away). */
  receiveReset(): void {
    this.#resetByPeer = true;
    this.destroy();
  }

  /** Resolves when the consumer wants more data, or the stream is gone. */
  waitForRead(): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#readWaiter = resolve;
      this.once("close", resolve);
    });
  }

  override _read(): void {
    const w = this.#readWaiter;
    this.#readWaiter = undefined;
    w?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#resetByPeer) {
      callback(new CriError("Canceled", `SPDY stream ${this.id} was reset by the peer`));
      return;
    }
    let ok = true;
    for (let off = 0; off < chunk.length; off += maxDataFrame) {
      ok = this.#sink.writeData(this.id, false, chunk.subarray(off, off + maxDataFrame)) && ok;
    }
    if (ok) callback();
    else this.#sink.drained().then(() => { callback(); }, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#resetByPeer) this.#sink.writeData(this.id, true, Buffer.alloc(0));
    this.#localFin = true;
    this.#maybeGone();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#resetByPeer && !(this.#localFin && this.#remoteFin)) this.#sink.reset(this.id, rstCancel);
    this.#sink.streamGone(this.id);
    this._read();
    callback(error);
  }

  #maybeGone(): void {
    if (this.#localFin && this.#remoteFin) this.#sink.streamGone(this.id);
  }
}
