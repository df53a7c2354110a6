import { once } from "node:events";
import { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import { errorMessage } from "../../errors/index.js";
import { ChannelSocket, type ChannelReadable } from "../websocket/channel-socket.js";
import type { PortForwardSession } from "./spdy-port-forward.js";
import { spliceStreams } from "./splice-streams.js";

const closeProtocolError = 1002;

/**
 * Port forward over WebSocket with the channel protocol ("", `v4.channel.k8s.io`,
 * `v4.base64.channel.k8s.io`): one connection per port of the PortForward request, the i-th on
 * channels 2·i (data) and 2·i+1 (error). The first message on each of those channels is the port as
 * a little-endian uint16. The socket closes once every port's connection has ended.
 */
export async function serveWebSocketPortForward(ws: WebSocket, protocol: string, ports: readonly number[], s: PortForwardSession): Promise<void> {
  const aborted = new AbortController();
  const closed = once(ws, "close").then(() => { aborted.abort(); });
  const inputs: ChannelReadable[] = [];
  const channels = new ChannelSocket(ws, { base64: protocol.includes("base64"), closeSignal: false }, {
    data(channel, payload) {
      // Only data channels (even) carry bytes to the pod; the client writes nothing on error channels.
      if (channel % 2 === 0) inputs[channel / 2]?.feed(payload);
    },
    close() {
      // No close signal in these protocols.
    },
    invalid(reason) {
      ws.close(closeProtocolError, reason);
    },
  });
  for (let i = 0; i < ports.length; i++) inputs.push(channels.readable());

  const forwardOne = async (index: number, port: number): Promise<void> => {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    channels.send(2 * index, portBytes);
    channels.send(2 * index + 1, portBytes);
    const input = inputs[index];
    if (input === undefined) return;
    let conn: Duplex;
    try {
      conn = await s.dial(port, aborted.signal);
    } catch (err) {
      s.log.info({ port, err: errorMessage(err) }, "Port forward failed");
      channels.send(2 * index + 1, Buffer.from(`error forwarding port ${port} to pod ${s.target}: ${errorMessage(err)}`, "utf8"));
      return;
    }
    const onAbort = (): void => { conn.destroy(); };
    aborted.signal.addEventListener("abort", onAbort, { once: true });
    // A channel has no half-close: the pod side's end ends the port in both directions.
    conn.once("end", () => { input.end(); });
    await spliceStreams(Duplex.from({ readable: input.stream, writable: channels.writable(2 * index) }), conn);
    aborted.signal.removeEventListener("abort", onAbort);
  };

  await Promise.all(ports.map((port, i) => forwardOne(i, port)));
  if (!aborted.signal.aborted) {
    ws.close(1000);
    const grace = setTimeout(() => { ws.terminate(); }, 5_000);
    await closed;
    clearTimeout(grace);
  }
}
