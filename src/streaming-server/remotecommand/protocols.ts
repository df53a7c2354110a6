/** Remote command (exec/attach) and port-forward protocol names and their negotiation. */

/** SPDY exec/attach, in our order of preference; like the kubelet's server, no v5 over SPDY. */
export const spdyRemoteCommandProtocols = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"] as const;
export const spdyPortForwardProtocols = ["portforward.k8s.io"] as const;

/**
 * WebSocket exec/attach subprotocols. "" stands for a client that offered none (treated as
 * `channel.k8s.io`). v5 adds the CLOSE signal for stdin, which crictl `-r websocket` needs.
 */
export const wsRemoteCommandProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io", "base64.channel.k8s.io"] as const;
export const wsPortForwardProtocols = ["v4.channel.k8s.io", "v4.base64.channel.k8s.io"] as const;
/** SPDY carried inside WebSocket binary messages (crictl `-r websocket port-forward`). */
export const wsSpdyTunnelProtocol = "SPDY/3.1+portforward.k8s.io";

/** Splits repeated and comma-separated header values into the client's list, in order. */
export function offeredProtocols(header: string | readonly string[] | undefined): string[] {
  const values = header === undefined ? [] : typeof header === "string" ? [header] : header;
  return values.flatMap((v) => v.split(",")).map((p) => p.trim()).filter((p) => p !== "");
}

/**
 * The first protocol of the client's list that the server supports (the client's preference wins,
 * as in Kubernetes' handshake), or undefined.
 */
export function negotiate(offered: readonly string[], supported: readonly string[]): string | undefined {
  return offered.find((p) => supported.includes(p));
}

/** v4 and later report the outcome as Status JSON; older ones as plain text. */
export function usesStatusJson(protocol: string): boolean {
  return protocol.startsWith("v4.") || protocol.startsWith("v5.");
}

/** v3 and later have a resize stream. */
export function hasResizeStream(protocol: string): boolean {
  return protocol.startsWith("v3.") || usesStatusJson(protocol);
}
