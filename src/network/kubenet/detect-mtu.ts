import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** kubenet's MTU when the host tells us nothing better. */
export const fallbackMtu = 1460;

export interface DetectedMtu {
  readonly mtu: number;
  /** The default route's interface it came from; "" for the fallback. */
  readonly iface: string;
}

/**
 * The MTU of the interface the host's default route leaves through (IPv4 first, then IPv6; the
 * lowest metric wins), so that pod packets fit the node's uplink without fragmentation; 1460 when
 * there is no default route. `root` is for tests: a directory holding `proc/net/route`,
 * `proc/net/ipv6_route` and `sys/class/net/<if>/mtu`.
 */
export async function detectMtu(root = "/"): Promise<DetectedMtu> {
  const iface = (await defaultRouteV4(root)) ?? (await defaultRouteV6(root));
  if (iface === undefined) return { mtu: fallbackMtu, iface: "" };
  const text = await readFile(join(root, "sys/class/net", iface, "mtu"), "utf8").catch(() => "");
  const mtu = Number(text.trim());
  if (!Number.isInteger(mtu) || mtu < 576) return { mtu: fallbackMtu, iface: "" };
  return { mtu, iface };
}

/** /proc/net/route: Iface, Destination, Gateway, Flags, RefCnt, Use, Metric, Mask, … (hex, host byte order). */
async function defaultRouteV4(root: string): Promise<string | undefined> {
  const text = await readFile(join(root, "proc/net/route"), "utf8").catch(() => "");
  let best: { iface: string; metric: number } | undefined;
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    const [iface, dest, , flags, , , metricText, mask] = f;
    if (iface === undefined || dest !== "00000000" || mask !== "00000000") continue;
    // RTF_UP
    if ((parseInt(flags ?? "0", 16) & 0x1) === 0) continue;
    const metric = Number(metricText ?? "0");
    if (best === undefined || metric < best.metric) best = { iface, metric };
  }
  return best?.iface;
}

/** /proc/net/ipv6_route: dest, dest prefix, src, src prefix, next hop, metric, refcnt, use, flags, iface (hex). */
async function defaultRouteV6(root: string): Promise<string | undefined> {
  const text = await readFile(join(root, "proc/net/ipv6_route"), "utf8").catch(() => "");
  let best: { iface: string; metric: number } | undefined;
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [dest, prefix, , , , metricText, , , flags, iface] = f;
    if (dest !== "0".repeat(32) || prefix !== "00" || iface === undefined || iface === "lo") continue;
    const flagBits = parseInt(flags ?? "0", 16);
    // RTF_UP set, RTF_REJECT (0x0200: unreachable) not set
    if ((flagBits & 0x1) === 0 || (flagBits & 0x200) !== 0) continue;
    const metric = parseInt(metricText ?? "0", 16);
    if (best === undefined || metric < best.metric) best = { iface, metric };
  }
  return best?.iface;
}
