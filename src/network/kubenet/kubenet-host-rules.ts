import { execFile } from "node:child_process";
import { CriError } from "../../errors/index.js";
import { parseCidr } from "../../util/net-address.js";

export interface HostRule {
  readonly tool: "iptables" | "ip6tables";
  readonly table: "nat" | "filter";
  readonly chain: string;
  /** The rule's match and target, as `iptables -A <chain>` takes them. */
  readonly spec: readonly string[];
}

export interface KubenetHostRulesInput {
  readonly bridgeName: string;
  /** The pod CIDRs in network form (see networkOf). */
  readonly podCidrs: readonly string[];
  readonly nonMasqueradeCidr: string;
}

const masqueradeComment = "docker-cri kubenet: SNAT for outbound traffic from pods";
const forwardComment = "docker-cri kubenet: forward pod traffic";

/**
 * The host rules kubenet needs besides what the CNI plugins do:
 *
 * - Masquerade: traffic from a pod CIDR to a destination outside --non-masquerade-cidr (and not a
 *   local address) leaves with the node's address, as kubenet's POSTROUTING rule did. The rule is
 *   scoped to the pod CIDR as source so that it never rewrites anyone else's traffic. A pod CIDR of
 *   the other family than --non-masquerade-cidr is masqueraded outside its own CIDR. A
 *   --non-masquerade-cidr of 0.0.0.0/0 (or ::/0) turns masquerading off, as in kubenet.
 * - Forwarding: Docker sets the FORWARD policy to DROP, and with br_netfilter loaded even traffic
 *   between two pods on the bridge passes FORWARD, so traffic into and out of the bridge is
 *   accepted explicitly (what kube-proxy's KUBE-FORWARD and Docker's own docker0 rules do).
 */
export function kubenetHostRules(input: KubenetHostRulesInput): HostRule[] {
  const rules: HostRule[] = [];
  const nonMasq = parseCidr(input.nonMasqueradeCidr);
  const tools = new Set<HostRule["tool"]>();
  for (const podCidr of input.podCidrs) {
    const pod = parseCidr(podCidr);
    if (pod === undefined) continue;
    const tool = pod.family === 4 ? "iptables" : "ip6tables";
    tools.add(tool);
    if (nonMasq !== undefined && nonMasq.prefix === 0) continue;
    const exempt = nonMasq !== undefined && nonMasq.family === pod.family ? input.nonMasqueradeCidr : podCidr;
    rules.push({
      tool,
      table: "nat",
      chain: "POSTROUTING",
      spec: ["-s", podCidr, "-m", "comment", "--comment", masqueradeComment, "-m", "addrtype", "!", "--dst-type", "LOCAL", "!", "-d", exempt, "-j", "MASQUERADE"],
    });
  }
  for (const tool of tools) {
    for (const dir of ["-i", "-o"]) {
      rules.push({ tool, table: "filter", chain: "FORWARD", spec: [dir, input.bridgeName, "-m", "comment", "--comment", forwardComment, "-j", "ACCEPT"] });
    }
  }
  return rules;
}

/** Appends each rule that is not there yet (`-C` first, so that repeated calls add nothing). */
export async function ensureHostRules(rules: readonly HostRule[], signal: AbortSignal): Promise<void> {
  for (const r of rules) {
    if (await ruleExists(r, signal)) continue;
    await run(r.tool, ["-w", "5", "-t", r.table, "-A", r.chain, ...r.spec], signal);
  }
}

/** Deletes every copy of each rule; rules that are not there are fine. */
export async function removeHostRules(rules: readonly HostRule[], signal: AbortSignal): Promise<void> {
  for (const r of rules) {
    while (await ruleExists(r, signal)) {
      await run(r.tool, ["-w", "5", "-t", r.table, "-D", r.chain, ...r.spec], signal);
    }
  }
}

async function ruleExists(r: HostRule, signal: AbortSignal): Promise<boolean> {
  try {
    await run(r.tool, ["-w", "5", "-t", r.table, "-C", r.chain, ...r.spec], signal);
    return true;
  } catch (err) {
    // iptables -C exits 1 when the rule is missing; anything else (no binary, no permission) is an error.
    if (err instanceof CriError && err.cause instanceof ExitStatus && err.cause.code === 1) return false;
    throw err;
  }
}

class ExitStatus extends Error {
  constructor(readonly code: number | string | null) {
    super(`exit ${String(code)}`);
  }
}

function run(file: string, args: readonly string[], signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { signal, timeout: 30_000, encoding: "utf8" }, (err, _stdout, stderr) => {
      if (err === null) {
        resolve();
        return;
      }
      const code = (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null; // execFile's error carries the exit code (a number) or an errno name
      reject(new CriError(code === "ENOENT" ? "FailedPrecondition" : "Internal", `${file} ${args.join(" ")} failed: ${stderr.trim() || err.message}`, { cause: new ExitStatus(code) }));
    });
  });
}
