import { open } from "node:fs/promises";
import { CriError, errorMessage } from "../../errors/index.js";

export interface DnsSettings {
  readonly servers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

/** The resolv.conf text for the pod's DNS config; "" when it asks for nothing. */
export function resolvConfText(dns: DnsSettings): string {
  const lines = dns.servers.map((s) => `nameserver ${s}`);
  if (dns.searches.length > 0) lines.push(`search ${dns.searches.join(" ")}`);
  if (dns.options.length > 0) lines.push(`options ${dns.options.join(" ")}`);
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/**
 * Replaces the sandbox's resolv.conf (Docker's ResolvConfPath) with the pod's DNS config, as
 * dockershim did: every container of the pod bind-mounts this one file, so the pod's DNS is set in
 * one place. It is rewritten in place (truncate and write), never replaced by a rename, because the
 * running sandbox has the file's inode bind-mounted and would not see a new one.
 */
export async function rewriteResolvConf(path: string, dns: DnsSettings): Promise<boolean> {
  const text = resolvConfText(dns);
  if (text === "") return false;
  if (path === "") throw new CriError("FailedPrecondition", "Cannot apply the pod's DNS config: Docker reports no resolv.conf for the sandbox");
  try {
    const file = await open(path, "r+");
    try {
      await file.truncate(0);
      await file.write(text, 0, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (err) {
    throw new CriError("Internal", `Cannot rewrite the sandbox's resolv.conf "${path}": ${errorMessage(err)}`, { cause: err });
  }
  return true;
}
