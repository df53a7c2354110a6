import { Readable, Writable } from "node:stream";
import type { WebSocket } from "ws";
import { CriError } from "../../errors/index.js";

/**
 * Kubernetes' channel framing over one WebSocket: the first byte of a binary message is the channel
 * number, the rest its payload; the base64 variants send text messages whose first character is
 * ASCII '0'+channel and whose rest is standard base64 of the payload. v5 adds a binary CLOSE signal
 * `[255, channel]` that half-closes one channel (the client's stdin EOF).
 */
export interface ChannelFraming {
  readonly base64: boolean;
  /** v5: accept `[255, channel]` close signals. */
  readonly closeSignal: boolean;
}

export interface ChannelHandlers {
  data(channel: number, payload: Buffer): void;
  /** A v5 close signal for `channel`. */
  close(channel: number): void;
  /** A message that cannot be a channel message: the connection is aborted. */
  invalid(reason: string): void;
}

/** Highest channel number that may appear (port forward uses 2·ports channels). */
const maxChannel = 254;
const closeSignal = 255;

export class ChannelSocket {
  readonly ws: WebSocket;
  readonly #framing: ChannelFraming;

  constructor(ws: WebSocket, framing: ChannelFraming, handlers: ChannelHandlers) {
    this.ws = ws;
    this.#framing = framing;
    ws.on("message", (raw: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const data = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
      if (data.length === 0) return;
      const first = data.readUInt8(0);
      if (!framing.base64 || isBinary) {
        if (first === closeSignal && framing.closeSignal) {
          const channel = data[1];
          if (data.length !== 2 || channel === undefined || channel > maxChannel) handlers.invalid("invalid CLOSE signal");
          else handlers.close(channel);
          return;
        }
        handlers.data(first, data.subarray(1));
        return;
      }
      const channel = first - 0x30;
      if (channel < 0 || channel > 9) {
        handlers.invalid(`invalid channel character ${JSON.stringify(String.fromCharCode(first))}`);
        return;
      }
      handlers.data(channel, Buffer.from(data.subarray(1).toString("latin1"), "base64"));
    });
  }

  /** Sends `payload` on `channel`; the callback runs once the frame is handed to the socket. */
  send(channel: number, payload: Buffer, cb?: (err?: Error) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      cb?.(new CriError("Canceled", "The WebSocket connection is closed"));
      return;
    }
    if (this.#framing.base64) {
      this.ws.send(String.fromCharCode(0x30 + channel) + payload.toString("base64"), { binary: false }, cb);
    } else {
      this.ws.send(Buffer.concat([Buffer.from([channel]), payload]), { binary: true }, cb);
    }
  }

  /** A Writable whose chunks go out on `channel`; each write completes when the frame is on the socket. */
  writable(channel: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, callback) => {
        this.send(channel, chunk, (err) => { callback(err ?? null); });
      },
    });
  }

  /**
   * A Readable fed by `feed`; while its reader is behind, the WebSocket is paused (which stops
   * reading the TCP socket, so the client is held back instead of us buffering).
   */
  readable(): ChannelReadable {
    const ws = this.ws;
    let ended = false;
    const stream = new Readable({
      read() {
        if (ws.isPaused) ws.resume();
      },
    });
    return {
      stream,
      feed(payload: Buffer) {
        if (ended || stream.destroyed) return;
        if (!stream.push(payload)) ws.pause();
      },
      end() {
        if (ended || stream.destroyed) return;
        ended = true;
        stream.push(null);
        if (ws.isPaused) ws.resume();
      },
    };
  }
}

export interface ChannelReadable {
  readonly stream: Readable;
  feed(payload: Buffer): void;
  end(): void;
}
