import { CriError } from "../errors/index.js";

/** systemd passes listening sockets starting at fd 3 (SD_LISTEN_FDS_START). */
const listenFdsStart = 3;

/**
 * Resolves `fd://` or `fd://<name>` to the inherited fd, the sd_listen_fds way: LISTEN_PID must be us,
 * LISTEN_FDS counts the fds, LISTEN_FDNAMES (colon-separated) names them.
 */
export function resolveListenFd(name: string, env: Readonly<Record<string, string | undefined>>, pid: number): number {
  const listenPid = env.LISTEN_PID;
  const count = Number(env.LISTEN_FDS ?? "0");
  if (listenPid === undefined || Number(listenPid) !== pid || !Number.isInteger(count) || count < 1) {
    throw new CriError("InvalidArgument", `Invalid --container-runtime-endpoint "fd://${name}": no socket was passed by systemd (LISTEN_PID/LISTEN_FDS not set for this process)`);
  }
  if (name === "") return listenFdsStart;
  const names = (env.LISTEN_FDNAMES ?? "").split(":");
  const idx = names.indexOf(name);
  if (idx < 0 || idx >= count) {
    throw new CriError("InvalidArgument", `Invalid --container-runtime-endpoint "fd://${name}": systemd passed no socket named "${name}" (LISTEN_FDNAMES="${env.LISTEN_FDNAMES ?? ""}")`);
  }
  return listenFdsStart + idx;
}
