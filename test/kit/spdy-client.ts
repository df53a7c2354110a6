/**
 * A SPDY/3.1 client for tests, written from the protocol facts (../shared/docs/streaming.md §2–§3)
 * and behaving like Kubernetes' client (moby/spdystream): it opens odd-numbered streams one at a time,
 * waiting for each SYN_REPLY; compresses its header blocks with real deflate (zlib preset with the
 * SPDY/3 dictionary, sync flush per block) on one stream per connection; inflates the server's blocks
 * the same way; never sends WINDOW_UPDATE. It shares no code with the server's framer (only the
 * dictionary bytes, whose SHA-256 it checks itself).
 */
import { createHash } from "node:crypto";
import { request, type IncomingHttpHeaders } from "node:http";
import type { Duplex } from "node:stream";
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from "node:zlib";
import { spdyDictionary } from "../../src/streaming-server/spdy/spdy-dictionary.js";

if (createHash("sha256").update(spdyDictionary).digest("hex") !== "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02") {
  throw new Error("the SPDY/3 dictionary is not the spec's");
}

const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const FIN = 1;

export interface UpgradeResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body of a non-101 answer. */
  readonly body: string;
  /** Set on 101. */
  readonly client?: SpdyClient;
}

/** POSTs the upgrade request as client-go's round tripper does, one X-Stream-Protocol-Version line per protocol. */
export function spdyUpgrade(url: string, protocols: readonly string[], method = "POST"): Promise<UpgradeResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      headers: {
        Connection: "Upgrade",
        Upgrade: "SPDY/3.1",
        "Content-Length": "0",
        ...(protocols.length > 0 ? { "X-Stream-Protocol-Version": [...protocols] } : {}),
      },
    });
    req.on("upgrade", (res, socket, head) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: "", client: new SpdyClient(socket, head) });
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { body += c; });
      res.on("end", () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }); });
    });
    req.on("error", reject);
    req.end();
  });
}

export class ClientStream {
  readonly id: number;
  readonly #client: SpdyClient;
  readonly #chunks: Buffer[] = [];
  #listeners: (() => void)[] = [];
  remoteFin = false;
  resetStatus: number | undefined;
  readonly ended: Promise<void>;
  #resolveEnded!: () => void;

  constructor(id: number, client: SpdyClient) {
    this.id = id;
    this.#client = client;
    this.ended = new Promise((r) => { this.#resolveEnded = r; });
  }

  /** Everything received so far. */
  data(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  text(): string {
    return this.data().toString("utf8");
  }

  write(data: Buffer | string): void {
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    // Like io.Copy in the Go client: at most 32 KiB per DATA frame.
    for (let off = 0; off < buf.length; off += 32 * 1024) this.#client.sendData(this.id, buf.subarray(off, off + 32 * 1024), false);
  }

  /** Half-close: an empty DATA frame with FIN. */
  end(): void {
    this.#client.sendData(this.id, Buffer.alloc(0), true);
  }

  reset(): void {
    this.#client.sendRst(this.id, 5);
  }

  /** Resolves once the received text matches, or rejects after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.text();
      if (pattern.test(text)) return text;
      if (this.remoteFin || this.resetStatus !== undefined) throw new Error(`stream ${this.id} ended without matching ${pattern}: ${JSON.stringify(text)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern} on stream ${this.id}: ${JSON.stringify(text.slice(-500))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#listeners.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  onFrame(data: Buffer, fin: boolean): void {
    if (data.length > 0) this.#chunks.push(data);
    if (fin) {
      this.remoteFin = true;
      this.#resolveEnded();
    }
    this.#notify();
  }

  onReset(status: number): void {
    this.resetStatus = status;
    this.#resolveEnded();
    this.#notify();
  }

  #notify(): void {
    const l = this.#listeners;
    this.#listeners = [];
    for (const f of l) f();
  }
}

export class SpdyClient {
  readonly socket: Duplex;
  readonly streams = new Map<number, ClientStream>();
  #nextId = 1;
  #buf = Buffer.alloc(0);
  readonly #deflate: Deflate = createDeflate({ dictionary: spdyDictionary });
  readonly #inflate: Inflate = createInflate({ dictionary: spdyDictionary });
  #deflateOut: Buffer[] = [];
  #inflateOut: Buffer[] = [];
  #queue: Promise<void> = Promise.resolve();
  readonly #replyWaiters = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  readonly #pingWaiters = new Map<number, () => void>();
  /** GOAWAY frames from the server: [last good stream id, status]. */
  readonly goaways: [number, number][] = [];
  /** Every frame type received, in order (control frames by type, data as "data"). */
  readonly frameLog: (number | "data")[] = [];
  readonly closed: Promise<void>;

  constructor(socket: Duplex, head: Buffer) {
    this.socket = socket;
    this.#deflate.on("data", (c: Buffer) => this.#deflateOut.push(c));
    this.#inflate.on("data", (c: Buffer) => this.#inflateOut.push(c));
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        // Frames received before the close are handled first (replies wait for their inflate).
        void this.#queue.then(() => {
          for (const w of this.#replyWaiters.values()) w.reject(new Error("connection closed"));
          for (const s of this.streams.values()) if (!s.remoteFin && s.resetStatus === undefined) s.onReset(-1);
          resolve();
        });
      });
    });
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => { this.#onBytes(chunk); });
    if (head.length > 0) this.#onBytes(head);
  }

  /** Opens a stream with these headers and waits for the server's SYN_REPLY (or rejects on RST). */
  async openStream(headers: Record<string, string>, timeoutMs = 30_000): Promise<ClientStream> {
    const id = this.#nextId;
    this.#nextId += 2;
    const stream = new ClientStream(id, this);
    this.streams.set(id, stream);
    const replied = new Promise<void>((resolve, reject) => {
      this.#replyWaiters.set(id, { resolve, reject });
      setTimeout(() => { reject(new Error(`no SYN_REPLY for stream ${id} within ${timeoutMs} ms`)); }, timeoutMs).unref();
    });
    const block = await this.#compress(headerBlock(headers));
    const body = Buffer.alloc(10);
    body.writeUInt32BE(id, 0);
    this.#send(controlFrame(SYN_STREAM, 0, Buffer.concat([body, block])));
    await replied;
    return stream;
  }

  sendData(id: number, data: Buffer, fin: boolean): void {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(id & 0x7fffffff, 0);
    h.writeUInt32BE(((fin ? FIN : 0) << 24) | data.length, 4);
    this.#send(Buffer.concat([h, data]));
  }

  sendRst(id: number, status: number): void {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(id, 0);
    b.writeUInt32BE(status, 4);
    this.#send(controlFrame(RST_STREAM, 0, b));
  }

  /** Sends PING `id` (odd: a client ping) and resolves when it comes back. */
  ping(id: number, timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pingWaiters.set(id, resolve);
      setTimeout(() => { reject(new Error(`PING ${id} not echoed`)); }, timeoutMs).unref();
      const b = Buffer.alloc(4);
      b.writeUInt32BE(id, 0);
      this.#send(controlFrame(PING, 0, b));
    });
  }

  goaway(): void {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(Math.max(0, this.#nextId - 2), 0);
    this.#send(controlFrame(GOAWAY, 0, b));
  }

  /** Sends raw bytes (for malformed-frame tests). */
  sendRaw(bytes: Buffer): void {
    this.#send(bytes);
  }

  destroy(): void {
    this.socket.destroy();
    this.#deflate.destroy();
    this.#inflate.destroy();
  }

  #send(frame: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(frame);
  }

  /** Serializes the deflate stream: header blocks must go out in the order they are compressed. */
  #compress(block: Buffer): Promise<Buffer> {
    const run = this.#queue.then(async () => {
      this.#deflate.write(block);
      await new Promise<void>((r) => { this.#deflate.flush(constants.Z_SYNC_FLUSH, r); });
      const out = Buffer.concat(this.#deflateOut);
      this.#deflateOut = [];
      return out;
    });
    this.#queue = run.then(() => undefined, () => undefined);
    return run;
  }

  #onBytes(chunk: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    while (this.#buf.length >= 8) {
      const len = this.#buf.readUInt32BE(4) & 0xffffff;
      if (this.#buf.length < 8 + len) return;
      const frame = this.#buf.subarray(0, 8 + len);
      this.#buf = this.#buf.subarray(8 + len);
      const first = frame.readUInt32BE(0);
      const flags = frame.readUInt8(4);
      const payload = frame.subarray(8);
      if ((first & 0x80000000) === 0) {
        this.frameLog.push("data");
        this.streams.get(first & 0x7fffffff)?.onFrame(payload, (flags & FIN) !== 0);
        continue;
      }
      const version = (first >>> 16) & 0x7fff;
      if (version !== 3) throw new Error(`server sent SPDY version ${version}`);
      const type = first & 0xffff;
      this.frameLog.push(type);
      this.#onControl(type, flags, payload);
    }
  }

  #onControl(type: number, _flags: number, payload: Buffer): void {
    if (type === SYN_REPLY) {
      const id = payload.readUInt32BE(0) & 0x7fffffff;
      // Inflate the reply's block on the connection's one inflate stream; a broken block fails the test.
      const block = payload.subarray(4);
      this.#queue = this.#queue.then(async () => {
        this.#inflate.write(block);
        await new Promise<void>((r) => { this.#inflate.flush(constants.Z_SYNC_FLUSH, r); });
        const out = Buffer.concat(this.#inflateOut);
        this.#inflateOut = [];
        if (out.length < 4) throw new Error(`SYN_REPLY ${id}: header block inflated to ${out.length} bytes`);
        this.#replyWaiters.get(id)?.resolve();
        this.#replyWaiters.delete(id);
      }).catch((err: unknown) => {
        this.#replyWaiters.get(id)?.reject(err instanceof Error ? err : new Error(String(err)));
      });
    } else if (type === RST_STREAM) {
      const id = payload.readUInt32BE(0) & 0x7fffffff;
      const status = payload.readUInt32BE(4);
      // In order behind a SYN_REPLY still being inflated: a stream the server accepted and then reset
      // (a port-forward whose dial failed) was opened, not refused.
      this.#queue = this.#queue.then(() => {
        this.#replyWaiters.get(id)?.reject(new Error(`stream ${id} refused: RST_STREAM status ${status}`));
        this.#replyWaiters.delete(id);
        this.streams.get(id)?.onReset(status);
      });
    } else if (type === PING) {
      const id = payload.readUInt32BE(0);
      this.#pingWaiters.get(id)?.();
      this.#pingWaiters.delete(id);
    } else if (type === GOAWAY) {
      this.goaways.push([payload.readUInt32BE(0) & 0x7fffffff, payload.readUInt32BE(4)]);
    }
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE((0x80000000 | (3 << 16) | type) >>> 0, 0);
  h.writeUInt32BE(((flags << 24) | payload.length) >>> 0, 4);
  return Buffer.concat([h, payload]);
}

function headerBlock(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(4);
  n.writeUInt32BE(Object.keys(headers).length);
  parts.push(n);
  for (const [k, v] of Object.entries(headers)) {
    for (const s of [k.toLowerCase(), v]) {
      const b = Buffer.from(s);
      const l = Buffer.alloc(4);
      l.writeUInt32BE(b.length);
      parts.push(l, b);
    }
  }
  return Buffer.concat(parts);
}
