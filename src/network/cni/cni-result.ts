import { isIP } from "node:net";
import { versionAtLeast } from "./cni-version.js";
import { isRecord, stringField } from "./json.js";

export interface CniInterface {
  readonly name: string;
  readonly mac: string;
  /** The namespace path for an interface inside the pod; "" for host-side ones (bridge, veth peer). */
  readonly sandbox: string;
}

export interface CniIpConfig {
  /** The address without its prefix length. */
  readonly ip: string;
  readonly prefixLength: number;
  readonly family: 4 | 6;
  readonly gateway: string;
  /** Index into `interfaces`, when the plugin said which interface has it. */
  readonly interfaceIndex: number | undefined;
}

/** A plugin's result in any spec version, reduced to what docker-cri uses; `raw` is kept for chaining and the cache. */
export interface CniResult {
  readonly cniVersion: string;
  readonly interfaces: readonly CniInterface[];
  readonly ips: readonly CniIpConfig[];
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * Parses a result. 0.1.0/0.2.0 results carry `ip4`/`ip6` objects (`ip` in CIDR form); 0.3.0 and
 * later carry `interfaces` and `ips` (`address` in CIDR form, with a `version` field up to 0.4.0 that
 * 1.0.0 dropped). Returns a reason when the JSON is not a result.
 */
export function parseCniResult(json: unknown): CniResult | string {
  if (!isRecord(json)) return "the result is not a JSON object";
  const cniVersion = stringField(json, "cniVersion") || "0.1.0";
  const ips: CniIpConfig[] = [];
  const interfaces: CniInterface[] = [];
  if (!versionAtLeast(cniVersion, "0.3.0")) {
    for (const key of ["ip4", "ip6"]) {
      const block = json[key];
      if (block === undefined || block === null) continue;
      if (!isRecord(block)) return `"${key}" is not an object`;
      const ip = parseCidrAddress(stringField(block, "ip"));
      if (ip === undefined) return `"${key}.ip" is not an address with a prefix length: ${JSON.stringify(block.ip)}`;
      ips.push({ ...ip, gateway: stringField(block, "gateway"), interfaceIndex: undefined });
    }
    return { cniVersion, interfaces, ips, raw: json };
  }
  const rawInterfaces = json.interfaces ?? [];
  if (!Array.isArray(rawInterfaces)) return `"interfaces" is not a list`;
  for (const i of rawInterfaces) {
    if (!isRecord(i)) return `an entry of "interfaces" is not an object`;
    interfaces.push({ name: stringField(i, "name"), mac: stringField(i, "mac"), sandbox: stringField(i, "sandbox") });
  }
  const rawIps = json.ips ?? [];
  if (!Array.isArray(rawIps)) return `"ips" is not a list`;
  for (const entry of rawIps) {
    if (!isRecord(entry)) return `an entry of "ips" is not an object`;
    const ip = parseCidrAddress(stringField(entry, "address"));
    if (ip === undefined) return `"ips[].address" is not an address with a prefix length: ${JSON.stringify(entry.address)}`;
    const index = entry.interface;
    const interfaceIndex = typeof index === "number" && Number.isInteger(index) && index >= 0 && index < interfaces.length ? index : undefined;
    ips.push({ ...ip, gateway: stringField(entry, "gateway"), interfaceIndex });
  }
  return { cniVersion, interfaces, ips, raw: json };
}

function parseCidrAddress(text: string): Pick<CniIpConfig, "ip" | "prefixLength" | "family"> | undefined {
  const slash = text.lastIndexOf("/");
  if (slash < 0) return undefined;
  const ip = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const family = isIP(ip);
  if (family === 0 || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefixLength = Number(prefixText);
  if (prefixLength > (family === 4 ? 32 : 128)) return undefined;
  return { ip, prefixLength, family: family === 4 ? 4 : 6 };
}

/**
 * The pod's IPs from a result: those on the pod's interface `ifName` inside the sandbox when the
 * plugin says which interface holds which address, else every address. IPv4 first (the kubelet
 * takes the first IP as the pod's primary one), then IPv6, each in the plugin's order.
 */
export function podIpsOf(result: CniResult, ifName: string): string[] {
  const onPodInterface = result.ips.filter((c) => {
    if (c.interfaceIndex === undefined) return false;
    const itf = result.interfaces[c.interfaceIndex];
    return itf !== undefined && itf.sandbox !== "" && itf.name === ifName;
  });
  const chosen = onPodInterface.length > 0 ? onPodInterface : result.ips;
  const unique = [...new Set(chosen.map((c) => `${c.family}|${c.ip}`))];
  const v4 = unique.filter((k) => k.startsWith("4|")).map((k) => k.slice(2));
  const v6 = unique.filter((k) => k.startsWith("6|")).map((k) => k.slice(2));
  return [...v4, ...v6];
}
