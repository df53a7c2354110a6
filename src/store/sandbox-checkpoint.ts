import { createHash } from "node:crypto";

/**
 * What a pod sandbox needs after its container is gone or docker-cri restarted, and Docker cannot
 * tell: the port mappings and host-network flag network teardown needs, the pod IPs a network
 * plugin assigned, and the pod's identity and labels so that ListPodSandbox can still show (and the
 * kubelet clean up) a sandbox whose container was removed behind our back.
 *
 * On disk (<root>/sandbox/<sandbox id>), cri-dockerd's JSON with more fields in `data`:
 *
 *   { "version": "docker-cri/v1", "name": "web-0", "namespace": "default",
 *     "data": { "port_mappings": [{ "protocol": "tcp", "container_port": 80, "host_port": 8080, "host_ip": "" }],
 *               "host_network": false, "uid": "…", "attempt": 0, "labels": {…}, "created_at": "…ns…",
 *               "network_plugin": "cni", "pod_ips": ["10.244.0.5"], "runtime_handler": "" },
 *     "checksum": "sha256:<hex of the canonical JSON of everything but checksum>" }
 *
 * cri-dockerd's own checkpoints (version "v1", numeric checksum over a Go-specific printout of
 * `data` that cannot be recomputed outside Go) are read without verifying the checksum, so that a
 * node switching from cri-dockerd keeps tearing down its pods' networks.
 */
export interface CheckpointPortMapping {
  readonly protocol: "tcp" | "udp" | "sctp";
  readonly containerPort: number;
  readonly hostPort: number;
  readonly hostIp: string;
}

export interface SandboxCheckpoint {
  readonly name: string;
  readonly namespace: string;
  /** "" in cri-dockerd checkpoints. */
  readonly uid: string;
  readonly attempt: number;
  readonly hostNetwork: boolean;
  readonly portMappings: readonly CheckpointPortMapping[];
  /** The pod's CRI labels (not annotations), for ListPodSandbox label selectors. */
  readonly labels: Readonly<Record<string, string>>;
  /** Nanoseconds since the epoch; 0 when unknown. */
  readonly createdAt: bigint;
  /** "" (Docker's bridge), "cni" or "kubenet": which plugin must tear the network down. */
  readonly networkPlugin: string;
  readonly podIps: readonly string[];
  readonly runtimeHandler: string;
  /** True for a checkpoint cri-dockerd wrote (its checksum is not verified). */
  readonly legacy: boolean;
}

export const checkpointVersion = "docker-cri/v1";
const legacyVersion = "v1";

/** Serializes a checkpoint with its checksum. */
export function encodeCheckpoint(cp: Omit<SandboxCheckpoint, "legacy">): string {
  const body = {
    version: checkpointVersion,
    name: cp.name,
    namespace: cp.namespace,
    data: {
      port_mappings: cp.portMappings.map((p) => ({ protocol: p.protocol, container_port: p.containerPort, host_port: p.hostPort, host_ip: p.hostIp })),
      host_network: cp.hostNetwork,
      uid: cp.uid,
      attempt: cp.attempt,
      labels: { ...cp.labels },
      created_at: cp.createdAt.toString(),
      network_plugin: cp.networkPlugin,
      pod_ips: [...cp.podIps],
      runtime_handler: cp.runtimeHandler,
    },
  };
  return `${JSON.stringify({ ...body, checksum: checksumOf(body) })}\n`;
}

export type DecodedCheckpoint = { readonly ok: true; readonly checkpoint: SandboxCheckpoint } | { readonly ok: false; readonly reason: string };

/** Parses and verifies a checkpoint file's text; a reason instead when it is corrupt. */
export function decodeCheckpoint(text: string): DecodedCheckpoint {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!isRecord(json)) return { ok: false, reason: "not a JSON object" };
  const { version, checksum, ...body } = json;
  if (version === checkpointVersion) {
    if (typeof checksum !== "string") return { ok: false, reason: "no checksum" };
    if (checksum !== checksumOf({ version, ...body })) return { ok: false, reason: "checksum mismatch" };
    return parseBody(body, false);
  }
  if (version === legacyVersion && typeof checksum === "number") return parseBody(body, true);
  return { ok: false, reason: `unknown version ${version === undefined ? "(none)" : JSON.stringify(version)}` };
}

function parseBody(body: Record<string, unknown>, legacy: boolean): DecodedCheckpoint {
  const { name, namespace } = body;
  const data = body.data ?? {};
  if (typeof name !== "string" || typeof namespace !== "string") return { ok: false, reason: "name or namespace missing" };
  if (!isRecord(data)) return { ok: false, reason: '"data" is not an object' };
  const portMappings: CheckpointPortMapping[] = [];
  const rawPorts = data.port_mappings ?? [];
  if (!Array.isArray(rawPorts)) return { ok: false, reason: '"port_mappings" is not an array' };
  for (const p of rawPorts) {
    if (!isRecord(p)) return { ok: false, reason: "a port mapping is not an object" };
    const protocol = p.protocol ?? "tcp";
    if (protocol !== "tcp" && protocol !== "udp" && protocol !== "sctp") return { ok: false, reason: `unknown protocol ${JSON.stringify(protocol)}` };
    portMappings.push({ protocol, containerPort: int(p.container_port), hostPort: int(p.host_port), hostIp: typeof p.host_ip === "string" ? p.host_ip : "" });
  }
  const labels: Record<string, string> = {};
  if (isRecord(data.labels)) {
    for (const [k, v] of Object.entries(data.labels)) if (typeof v === "string") labels[k] = v;
  }
  let createdAt = 0n;
  if (typeof data.created_at === "string" && /^\d+$/.test(data.created_at)) createdAt = BigInt(data.created_at);
  return {
    ok: true,
    checkpoint: {
      name,
      namespace,
      uid: typeof data.uid === "string" ? data.uid : "",
      attempt: int(data.attempt),
      hostNetwork: data.host_network === true,
      portMappings,
      labels,
      createdAt,
      networkPlugin: typeof data.network_plugin === "string" ? data.network_plugin : "",
      podIps: Array.isArray(data.pod_ips) ? data.pod_ips.filter((ip): ip is string => typeof ip === "string") : [],
      runtimeHandler: typeof data.runtime_handler === "string" ? data.runtime_handler : "",
      legacy,
    },
  };
}

/** sha256 of the canonical JSON (keys sorted at every level), so that key order on disk does not matter. */
function checksumOf(body: unknown): string {
  return `sha256:${createHash("sha256").update(canonicalJson(body)).digest("hex")}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return value === undefined ? "null" : JSON.stringify(value);
}

function int(v: unknown): number {
  return typeof v === "number" && Number.isInteger(v) ? v : 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
