import { Socket } from "node:net";
import { CriError, errnoCode, errorMessage } from "../../errors/index.js";
import { addonLoader } from "../../util/native-addon.js";

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

const loadAddon = addonLoader(
  {
    name: "netns-connect",
    exportName: "connect",
    candidates: addonCandidates,
    notBuilt: "Port forwarding is unavailable: the netns-connect addon is not built (run `npm run build`, which needs a C compiler)",
    cannotLoad: (path, reason) => `Port forwarding is unavailable: cannot load "${path}": ${reason}`,
  },
  // The addon's contract (netns-connect.c): connect(string, 4|6, number, number) → Promise<number>.
  (connect): NetnsAddon => ({ connect: connect as NetnsAddon["connect"] }),
);

/** Read through a call: after an await the signal may have fired, which flow analysis cannot know. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
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
      const code = errnoCode(err);
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
