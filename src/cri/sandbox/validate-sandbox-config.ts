import { isIP } from "node:net";
import { CriError } from "../../errors/index.js";
import { NamespaceMode, type PodSandboxConfig, type PodSandboxMetadata, type RunPodSandboxRequest } from "../../gen/index.js";
import { checkPathLength } from "../translate/index.js";
import { validateSysctls } from "./validate-sysctls.js";

/** A RunPodSandbox request that passed validation: config and metadata are present. */
export interface ValidSandboxRequest {
  readonly config: PodSandboxConfig;
  readonly metadata: PodSandboxMetadata;
  readonly runtimeHandler: string;
}

/**
 * The pod's name, namespace and uid become parts of the Docker container name, joined by "_" and
 * parsed back after every restart: an "_" inside one of them would shift every later part, and
 * Docker only allows [a-zA-Z0-9_.-] in names. Kubernetes names and uids never need more.
 */
const namePart = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;
/** resolv.conf is line- and space-separated: an entry with whitespace would inject lines into it. */
const dnsToken = /^[^\s#;]+$/;

export function validateSandboxRequest(request: RunPodSandboxRequest): ValidSandboxRequest {
  const config = request.config;
  if (config === undefined) throw new CriError("InvalidArgument", "RunPodSandbox needs a config");
  const metadata = config.metadata;
  if (metadata === undefined) throw new CriError("InvalidArgument", "RunPodSandbox needs config.metadata");
  for (const [field, value] of [["name", metadata.name], ["namespace", metadata.namespace], ["uid", metadata.uid]] as const) {
    if (value === "") throw new CriError("InvalidArgument", `Invalid pod sandbox metadata: ${field} is empty`);
    // Kubernetes names are at most 253 characters (a DNS subdomain); longer ones only made Docker refuse the name.
    if (value.length > 253) throw new CriError("InvalidArgument", `Invalid pod sandbox metadata: ${field} is ${value.length} characters long, more than Kubernetes allows (253)`);
    if (!namePart.test(value)) {
      throw new CriError("InvalidArgument", `Invalid pod sandbox metadata: ${field} "${value}" may only contain letters, digits, "." and "-" (it becomes part of the Docker container name)`);
    }
  }
  for (const p of config.portMappings) {
    if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) {
      throw new CriError("InvalidArgument", `Invalid port mapping: container port ${p.containerPort} is not between 1 and 65535`);
    }
    if (!Number.isInteger(p.hostPort) || p.hostPort < 0 || p.hostPort > 65535) {
      throw new CriError("InvalidArgument", `Invalid port mapping: host port ${p.hostPort} is not between 0 and 65535`);
    }
    if (p.hostIp !== "" && isIP(p.hostIp) === 0) throw new CriError("InvalidArgument", `Invalid port mapping: host IP "${p.hostIp}" is not an IP address`);
  }
  const dns = config.dnsConfig;
  if (dns !== undefined) {
    for (const s of dns.servers) if (isIP(s) === 0) throw new CriError("InvalidArgument", `Invalid DNS config: server "${s}" is not an IP address`);
    for (const s of [...dns.searches, ...dns.options]) {
      if (!dnsToken.test(s)) throw new CriError("InvalidArgument", `Invalid DNS config: "${s}" is empty or contains whitespace`);
      // A search domain is a DNS name (at most 253 characters) and an option a short word ("ndots:5").
      if (s.length > 253) throw new CriError("InvalidArgument", `Invalid DNS config: "${s}" is longer than a DNS name may be (253)`);
    }
  }
  const ns = config.linux?.securityContext?.namespaceOptions;
  validateSysctls(config.linux?.sysctls ?? {}, { hostNetwork: ns?.network === NamespaceMode.NODE, hostIpc: ns?.ipc === NamespaceMode.NODE });
  checkPathLength("cgroup_parent", config.linux?.cgroupParent ?? "");
  checkPathLength("log_directory", config.logDirectory);
  for (const g of config.linux?.securityContext?.supplementalGroups ?? []) {
    if (g < 0n || g > 2147483647n) throw new CriError("InvalidArgument", `Invalid security context: supplemental group ${g} is not between 0 and 2147483647`);
  }
  // sethostname(2) takes at most HOST_NAME_MAX (64) bytes; runc fails the start otherwise.
  if (Buffer.byteLength(config.hostname) > 64 || /\p{Cc}/u.test(config.hostname)) {
    throw new CriError("InvalidArgument", `Invalid hostname ${JSON.stringify(config.hostname)}: longer than 64 bytes or holding control characters`);
  }
  if (/[\s/]/.test(request.runtimeHandler)) throw new CriError("InvalidArgument", `Invalid runtime handler "${request.runtimeHandler}"`);
  return { config, metadata, runtimeHandler: request.runtimeHandler };
}
