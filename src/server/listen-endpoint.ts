import { chmod, chown, lstat, unlink } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { CriError } from "../errors/index.js";
import { makeDirs } from "../util/make-dirs.js";

/** Where to listen: a unix socket path we own, or a listening fd handed over by systemd. */
export type ListenTarget = { kind: "unix"; path: string; gid?: number } | { kind: "fd"; fd: number };

/** Resolves true when something accepts connections on the unix socket at `path`. */
function isServing(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => { resolve(false); });
  });
}

/**
 * Removes a socket left by a previous run that died without cleaning up. A socket someone still serves
 * on is not stolen: that is an error, as is a path holding something other than a socket.
 */
async function removeStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new CriError("FailedPrecondition", `Cannot listen on "${path}": it exists and is not a socket`);
  if (await isServing(path)) throw new CriError("FailedPrecondition", `Cannot listen on "${path}": another process is already serving on it`);
  await unlink(path);
}

/**
 * Opens the listening socket for the CRI server. Unix sockets are created mode 0660 (set through the
 * umask while binding, so there is no window where they are wider), handed to `gid` when one is given
 * (the owner stays), and their directory is created.
 */
export async function listenEndpoint(target: ListenTarget, onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer({ pauseOnConnect: false }, onConnection);
  const listen = (arg: string | { fd: number }): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(arg, () => {
        server.off("error", reject);
        resolve();
      });
    });
  if (target.kind === "fd") {
    try {
      await listen({ fd: target.fd });
    } catch (err) {
      throw new CriError("FailedPrecondition", `Cannot listen on systemd socket fd ${target.fd}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return server;
  }
  const path = target.path;
  try {
    await makeDirs(dirname(path));
    await removeStaleSocket(path);
    const old = process.umask(0o117);
    try {
      await listen(path);
    } finally {
      process.umask(old);
    }
    await chmod(path, 0o660);
    if (target.gid !== undefined) await chown(path, -1, target.gid);
  } catch (err) {
    if (err instanceof CriError) throw err;
    const code = (err as NodeJS.ErrnoException).code; // fs and net reject with errno errors
    const why = code === "EACCES" || code === "EROFS" || code === "EPERM" ? "permission denied" : code === "ENOTDIR" || code === "ENOENT" ? "no such directory" : err instanceof Error ? err.message : String(err);
    throw new CriError("FailedPrecondition", `Cannot listen on "${path}": ${why}`, { cause: err });
  }
  return server;
}
