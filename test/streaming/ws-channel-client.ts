/**
 * A WebSocket client for Kubernetes' channel protocols (streaming.md §6), on the `ws` package:
 * binary messages are [channel, …payload]; base64 variants are text '0'+channel followed by base64;
 * v5's CLOSE signal is the binary message [255, channel].
 */
import { WebSocket } from "ws";

export interface ChannelMessage {
  readonly channel: number;
  readonly data: Buffer;
}

export class WsChannelClient {
  readonly ws: WebSocket;
  readonly messages: ChannelMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #listeners: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on("close", (code: number, reason: Buffer) => {
        this.#notify();
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on("message", (raw: Buffer, isBinary: boolean) => {
      if (isBinary) this.messages.push({ channel: raw.readUInt8(0), data: raw.subarray(1) });
      else {
        const text = raw.toString("latin1");
        this.messages.push({ channel: text.charCodeAt(0) - 0x30, data: Buffer.from(text.slice(1), "base64") });
      }
      this.#notify();
    });
  }

  /** The negotiated subprotocol (known once open). */
  get protocol(): string {
    return this.ws.protocol;
  }

  get base64(): boolean {
    return this.ws.protocol.includes("base64");
  }

  static connect(httpUrl: string, protocols: readonly string[]): Promise<WsChannelClient> {
    const url = httpUrl.replace(/^http/, "ws");
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, [...protocols]);
      const client = new WsChannelClient(ws);
      ws.once("open", () => { resolve(client); });
      ws.once("unexpected-response", (_req, res) => {
        reject(new Error(`WebSocket upgrade refused: ${res.statusCode ?? 0}`));
      });
      ws.once("error", reject);
    });
  }

  send(channel: number, data: Buffer | string): void {
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    if (this.base64) this.ws.send(String.fromCharCode(0x30 + channel) + buf.toString("base64"));
    else this.ws.send(Buffer.concat([Buffer.from([channel]), buf]), { binary: true });
  }

  /** v5: half-close `channel`. */
  sendClose(channel: number): void {
    this.ws.send(Buffer.from([255, channel]), { binary: true });
  }

  data(channel: number): Buffer {
    return Buffer.concat(this.messages.filter((m) => m.channel === channel).map((m) => m.data));
  }

  text(channel: number): string {
    return this.data(channel).toString("utf8");
  }

  async waitFor(channel: number, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const t = this.text(channel);
      if (pattern.test(t)) return t;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`closed before channel ${channel} matched ${pattern}: ${JSON.stringify(t)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern} on channel ${channel}: ${JSON.stringify(t.slice(-300))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#listeners.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  #notify(): void {
    const l = this.#listeners;
    this.#listeners = [];
    for (const f of l) f();
  }
}
