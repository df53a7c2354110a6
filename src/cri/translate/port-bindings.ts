import { Protocol, type PortMapping } from "../../gen/index.js";

export type PortProtocol = "tcp" | "udp" | "sctp";

export function protocolName(p: Protocol): PortProtocol {
  switch (p) {
    case Protocol.UDP:
      return "udp";
    case Protocol.SCTP:
      return "sctp";
    default:
      return "tcp";
  }
}

export interface DockerPortBinding {
  readonly HostIp: string;
  readonly HostPort: string;
}

/**
 * CRI port mappings as Docker's `ExposedPorts` and `HostConfig.PortBindings` ("80/tcp" keys). A
 * mapping without a host port publishes nothing, as in dockershim: the pod port is reachable on the
 * pod IP anyway. Several host ports may map to one container port.
 */
export function makePortBindings(mappings: readonly Pick<PortMapping, "protocol" | "containerPort" | "hostPort" | "hostIp">[]): {
  exposedPorts: Record<string, Record<string, never>>;
  portBindings: Record<string, DockerPortBinding[]>;
} {
  const exposedPorts: Record<string, Record<string, never>> = {};
  const portBindings: Record<string, DockerPortBinding[]> = {};
  for (const m of mappings) {
    if (m.hostPort === 0) continue;
    const key = `${m.containerPort}/${protocolName(m.protocol)}`;
    exposedPorts[key] = {};
    (portBindings[key] ??= []).push({ HostIp: m.hostIp, HostPort: String(m.hostPort) });
  }
  return { exposedPorts, portBindings };
}
