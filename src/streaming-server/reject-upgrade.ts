import type { Duplex } from "node:stream";

const reasons: Readonly<Record<number, string>> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  500: "Internal Server Error",
};

/**
 * Answers an upgrade request with an ordinary HTTP error and closes the connection. After an
 * `upgrade` event node:http has let go of the socket, so the response is written by hand.
 * `headers` values that are arrays become one header line each (as Kubernetes sends
 * X-Accepted-Stream-Protocol-Versions).
 */
export function rejectUpgrade(socket: Duplex, status: number, body: string, headers: Readonly<Record<string, string | readonly string[]>> = {}): void {
  const text = `${body}\n`;
  const lines = [`HTTP/1.1 ${status} ${reasons[status] ?? "Error"}`, "Content-Type: text/plain; charset=utf-8", `Content-Length: ${Buffer.byteLength(text)}`, "Connection: close"];
  for (const [name, value] of Object.entries(headers)) {
    for (const v of typeof value === "string" ? [value] : value) lines.push(`${name}: ${v}`);
  }
  if (socket.writable) socket.end(`${lines.join("\r\n")}\r\n\r\n${text}`);
  setTimeout(() => socket.destroy(), 1_000).unref();
}
