import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { CriError, errorMessage } from "../../errors/index.js";

/** Connects to a loopback port inside a network namespace (see netns-connect.c). */
export type NetnsDialer = (netnsPath: string, port: number, signal: AbortSignal) => Promise<Socket>;

interface NetnsAddon {
  connect(nsPath: string, family: 4 | 6, port: number, timeoutMs: number): Promise<number>;
}

/** Where `npm run build` (scripts/build-addons.mjs) puts the addon, seen from src/ and from dist/src/. */
const addonCandidates = [
  new URL("../../../dist/native/netns-connect.node", import.meta.url),
  new URL("../../../native/netns-connect.node", import.meta.url),
];

const connectTimeoutMs = 10_000;

let loaded: NetnsAddon | CriError | undefined;

function loadAddon(): NetnsAddon {
  if (loaded === undefined) loaded = tryLoad();
  if (loaded instanceof CriError) throw loaded;
  return loaded;
}

function tryLoad(): NetnsAddon | CriError {
  const path = addonCandidates.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
  if (path === undefined) {
    return new CriError("Unavailable", "Port forwarding is unavailable: the netns-connect addon is not built (run `npm run build`, which needs a C compiler)");
  }
  try {
    const mod: unknown = createRequire(import.meta.url)(path);
    const connect: unknown = typeof mod === "object" && mod !== null ? Reflect.get(mod, "connect") : undefined;
    if (typeof connect !== "function") return new CriError("Internal", `Invalid netns-connect addon at "${path}": it exports no connect function`);
    // The addon's contract (netns-connect.c): connect(string, 4|6, number, number) → Promise<number>.
    return { connect: connect as NetnsAddon["connect"] };
  } catch (err) {
    return new CriError("Unavailable", `Port forwarding is unavailable: cannot load "${path}": ${errorMessage(err)}`, { cause: err });
  }
}

/** Read through a call: after an await the signal may have fired, which flow analysis cannot know. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function codeOf(err: unknown): string | undefined {
  const code: unknown = typeof err === "object" && err !== null ? Reflect.get(err, "code") : undefined;
  return typeof code === "string" ? code : undefined;
}

/**
 * Connects to `port` on the pod's loopback: 127.0.0.1 first, then ::1 when IPv4 has no listener
 * (the kubelet's runtimes try "localhost" over IPv4, then IPv6). The socket is half-open capable, so
 * a server that finishes sending can still receive, and vice versa.
 */
export const dialInNetns: NetnsDialer = async (netnsPath, port, signal) => {
  const addon = loadAddon();
  const failures: string[] = [];
  for (const family of [4, 6] as const) {
    if (signal.aborted) throw new CriError("Canceled", "Port forward was canceled: the client went away");
    let fd: number;
    try {
      fd = await addon.connect(netnsPath, family, port, connectTimeoutMs);
    } catch (err) {
      const code = codeOf(err);
      failures.push(`${family === 4 ? "127.0.0.1" : "[::1]"}:${port}: ${errorMessage(err)}`);
      // Only "nothing there on this family" moves on to the other family.
      if (code === "ECONNREFUSED" || code === "EADDRNOTAVAIL" || code === "ENETUNREACH" || code === "EAFNOSUPPORT") continue;
      const kind = code === "ENOENT" || code === "ESRCH" ? "NotFound" : code === "ETIMEDOUT" ? "DeadlineExceeded" : "Internal";
      throw new CriError(kind, `Cannot connect inside network namespace "${netnsPath}": ${failures.join("; ")}`, { cause: err });
    }
    const socket = new Socket({ fd, allowHalfOpen: true, readable: true, writable: true });
    if (isAborted(signal)) {
      socket.destroy();
      throw new CriError("Canceled", "Port forward was canceled: the client went away");
    }
    socket.setNoDelay(true);
    return socket;
  }
  throw new CriError("Unavailable", `Nothing listens on port ${port} in the pod: ${failures.join("; ")}`);
};
