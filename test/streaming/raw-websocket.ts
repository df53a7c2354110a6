/**
 * A bare WebSocket client (RFC 6455) for the one case the `ws` client refuses: a subprotocol name
 * that is not an HTTP token, `SPDY/3.1+portforward.k8s.io`. Binary frames only, masked as a client
 * must; answers pings; exposes the message payloads as one byte stream (what SPDY-over-WebSocket is).
 */
import { createHash, randomBytes } from "node:crypto";
import { request } from "node:http";
import { Duplex } from "node:stream";

export async function rawWebSocket(httpUrl: string, protocol: string): Promise<{ stream: Duplex; protocol: string }> {
  const key = randomBytes(16).toString("base64");
  const { socket, head, headers } = await new Promise<{ socket: Duplex; head: Buffer; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request(httpUrl, {
      method: "GET",
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": key, "Sec-WebSocket-Protocol": protocol },
    });
    req.on("upgrade", (res, s, h) => { resolve({ socket: s, head: h, headers: res.headers }); });
    req.on("response", (res) => { reject(new Error(`WebSocket upgrade refused: ${res.statusCode ?? 0}`)); });
    req.on("error", reject);
    req.end();
  });
  const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
  if (headers["sec-websocket-accept"] !== accept) throw new Error("bad Sec-WebSocket-Accept");

  const frame = (opcode: number, payload: Buffer): Buffer => {
    const mask = randomBytes(4);
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    if (len >= 126 && len < 65536) {
      head.writeUInt8(0x80 | opcode, 0);
      head.writeUInt8(0x80 | 126, 1);
      head.writeUInt16BE(len, 2);
    } else if (len >= 65536) {
      head.writeUInt8(0x80 | opcode, 0);
      head.writeUInt8(0x80 | 127, 1);
      head.writeBigUInt64BE(BigInt(len), 2);
    }
    const masked = Buffer.from(payload);
    for (let i = 0; i < masked.length; i++) masked.writeUInt8((masked.readUInt8(i) ^ mask.readUInt8(i % 4)) & 0xff, i);
    return Buffer.concat([head, mask, masked]);
  };

  let buf = Buffer.alloc(0);
  const stream = new Duplex({
    read() { /* pushed from socket data */ },
    write(chunk: Buffer, _enc, cb) {
      socket.write(frame(2, chunk), cb);
    },
    final(cb) {
      socket.write(frame(8, Buffer.from([0x03, 0xe8])), () => { cb(); });
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  const onBytes = (chunk: Buffer): void => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf.readUInt8(0) & 0x0f;
      let len = buf.readUInt8(1) & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      if (buf.length < off + len) return;
      const payload = buf.subarray(off, off + len);
      buf = buf.subarray(off + len);
      if (opcode === 2 || opcode === 0) stream.push(Buffer.from(payload));
      else if (opcode === 9) socket.write(frame(10, payload));
      else if (opcode === 8) {
        stream.push(null);
        socket.end();
      }
    }
  };
  socket.on("data", onBytes);
  socket.on("close", () => { stream.destroy(); });
  socket.on("error", () => undefined);
  if (head.length > 0) onBytes(head);
  const chosen = headers["sec-websocket-protocol"];
  return { stream, protocol: typeof chosen === "string" ? chosen : "" };
}
