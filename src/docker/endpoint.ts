import { CriError } from "../errors/index.js";

/** Where the daemon listens: a unix socket or a plain-HTTP TCP address (no TLS). */
export type DockerEndpoint =
  | { readonly kind: "unix"; readonly socketPath: string; readonly url: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number; readonly url: string };

/**
 * Accepts `unix:///path`, a bare `/path`, `tcp://host:port` and `http://host:port`; `url` is the
 * canonical form used in every message, so operators see the same spelling as in `docker -H`.
 */
export function parseEndpoint(endpoint: string): DockerEndpoint {
  const raw = endpoint.trim();
  if (raw.startsWith("/")) return unix(raw, endpoint);
  if (raw.startsWith("unix://")) return unix(raw.slice("unix://".length), endpoint);
  if (raw.startsWith("tcp://") || raw.startsWith("http://")) {
    let url: URL;
    try {
      url = new URL(raw.replace(/^tcp:/, "http:"));
    } catch (err) {
      throw new CriError("InvalidArgument", `Invalid Docker endpoint "${endpoint}": not a valid address`, { cause: err });
    }
    if (url.pathname !== "/" && url.pathname !== "") {
      throw new CriError("InvalidArgument", `Invalid Docker endpoint "${endpoint}": a path is not supported`);
    }
    // Docker's conventional plain-HTTP port when none is given.
    const port = url.port === "" ? 2375 : Number(url.port);
    // URL keeps IPv6 hosts bracketed; net.connect wants them bare.
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    return { kind: "tcp", host, port, url: `tcp://${url.hostname}:${port}` };
  }
  throw new CriError("InvalidArgument", `Invalid Docker endpoint "${endpoint}": expected unix:///path, /path, tcp://host:port or http://host:port`);
}

function unix(socketPath: string, original: string): DockerEndpoint {
  if (!socketPath.startsWith("/")) {
    throw new CriError("InvalidArgument", `Invalid Docker endpoint "${original}": the socket path must be absolute`);
  }
  return { kind: "unix", socketPath, url: `unix://${socketPath}` };
}
