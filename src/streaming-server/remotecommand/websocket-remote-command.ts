import { once } from "node:events";
import type { WebSocket } from "ws";
import type { StreamIo } from "../../cri/streaming/streaming-runtime.js";
import { errorMessage } from "../../errors/index.js";
import { ChannelSocket } from "../websocket/channel-socket.js";
import { usesStatusJson } from "./protocols.js";
import { runAndReport, type RemoteCommandSession } from "./remote-command-session.js";
import { TerminalSizeQueue } from "./terminal-size-queue.js";

const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;

/** WebSocket close code for a protocol violation (RFC 6455). */
const closeProtocolError = 1002;

/**
 * Exec/attach over WebSocket: channels 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize. Right after
 * the upgrade an empty message on the lowest channel we will write (stdout, else stderr, else error)
 * tells the client the streams are ready. At the end the outcome goes on channel 3 (Status JSON for
 * v4/v5, text for older) and the socket closes with 1000, which the client reads as EOF.
 */
export async function serveWebSocketRemoteCommand(ws: WebSocket, s: RemoteCommandSession): Promise<void> {
  const want = s.streams;
  const protocol = s.protocol === "" ? "channel.k8s.io" : s.protocol;
  const resize = new TerminalSizeQueue();
  const aborted = new AbortController();
  const closed = once(ws, "close").then(() => {
    aborted.abort();
    resize.end();
  });
  const channels = new ChannelSocket(ws, { base64: protocol.includes("base64"), closeSignal: protocol === "v5.channel.k8s.io" }, {
    data(channel, payload) {
      if (channel === Channel.stdin) stdin?.feed(payload);
      else if (channel === Channel.resize && want.tty) resize.write(payload);
    },
    close(channel) {
      if (channel === Channel.stdin) stdin?.end();
      else if (channel === Channel.resize) resize.end();
    },
    invalid(reason) {
      s.log.debug({ reason }, "Closing WebSocket: invalid message");
      ws.close(closeProtocolError, reason);
    },
  });
  const stdin = want.stdin ? channels.readable() : undefined;
  const stdout = want.stdout ? channels.writable(Channel.stdout) : undefined;
  const stderr = want.stderr && !want.tty ? channels.writable(Channel.stderr) : undefined;
  for (const w of [stdout, stderr]) {
    w?.on("error", (err: unknown) => { s.log.debug({ err: errorMessage(err) }, "WebSocket output failed"); });
  }
  channels.send(stdout !== undefined ? Channel.stdout : stderr !== undefined ? Channel.stderr : Channel.error, Buffer.alloc(0));

  const io: StreamIo = { stdin: stdin?.stream, stdout, stderr, resize: want.tty ? resize : undefined, signal: aborted.signal, log: s.log };
  await runAndReport(s, io, resize, usesStatusJson(protocol), async (status) => {
    if (status !== undefined) {
      await new Promise<void>((resolve) => { channels.send(Channel.error, status, () => { resolve(); }); });
    }
    ws.close(1000);
    const grace = setTimeout(() => { ws.terminate(); }, 5_000);
    await closed;
    clearTimeout(grace);
  });
}
