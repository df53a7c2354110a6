import { isIP } from "node:net";

/** A host and port parsed from "host:port", "[v6]:port", or a bare host (port 0 = pick a free one). */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses a bind address. A bare IP binds a free port, as cri-dockerd does for --streaming-bind-addr.
 * Returns undefined for anything that is not an IP address with an optional port 0–65535.
 */
export function parseBindAddress(text: string, requirePort: boolean): HostPort | undefined {
  const s = text.trim();
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed !== null) {
    host = bracketed[1] ?? "";
    portText = bracketed[2];
  } else if (isIP(s) !== 0) {
    host = s;
  } else {
    const idx = s.lastIndexOf(":");
    if (idx < 0) return undefined;
    host = s.slice(0, idx);
    portText = s.slice(idx + 1);
    if (host === "localhost") host = "127.0.0.1";
  }
  if (isIP(host) === 0) return undefined;
  if (portText === undefined) return requirePort ? undefined : { host, port: 0 };
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { host, port };
}

/** A CIDR such as "10.244.0.0/16" or "fd00::/64". */
export interface Cidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (m === null) return undefined;
  const address = m[1] ?? "";
  const prefix = Number(m[2]);
  const fam = isIP(address);
  if (fam === 4 && prefix <= 32) return { address, prefix, family: 4 };
  if (fam === 6 && prefix <= 128) return { address, prefix, family: 6 };
  return undefined;
}

/** Parses a comma-separated list of CIDRs (dual-stack pod CIDRs); undefined if any entry is invalid. */
export function parseCidrList(text: string): Cidr[] | undefined {
  const parts = text.split(",").map((p) => p.trim()).filter((p) => p !== "");
  const out: Cidr[] = [];
  for (const p of parts) {
    const c = parseCidr(p);
    if (c === undefined) return undefined;
    out.push(c);
  }
  return out;
}
