import { chmod, chown, link, lstat, rename, unlink } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { basename, dirname, join } from "node:path";
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
 * Puts the socket bound at `from` at `path` and drops the private name. link() never replaces what is
 * there, unlike rename(): a second docker-cri that passed removeStaleSocket at the same moment must
 * fail rather than take the path from the first. A socket that appeared meanwhile is removed only
 * if nobody serves on it.
 */
export async function linkInPlace(from: string, path: string): Promise<void> {
  try {
    await link(from, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code; // fs rejects with errno errors
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP") {
      // A filesystem without hard links: rename, whose only gap is the race above.
      await rename(from, path);
      return;
    }
    if (code !== "EEXIST") throw err;
    await removeStaleSocket(path);
    await link(from, path);
  }
  await unlink(from);
}

/** The longest unix socket path Linux binds (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Opens the listening socket for the CRI server. Unix sockets are created mode 0660 (set through the
 * umask while binding, so there is no window where they are wider), handed to `gid` when one is given
 * (the owner stays), and their directory is created. The socket is bound under a private name beside
 * `path` and linked into place once its mode and group are set, so a client that finds `path` (a
 * kubelet in that group, a test waiting for the file) never meets it before the group is right. Only
 * when that private name would be longer than a socket path may be is it bound at `path` directly.
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
  const privateName = join(dirname(path), `.${basename(path)}.${process.pid}`);
  const bindAt = Buffer.byteLength(privateName) <= MAX_SOCKET_PATH_BYTES ? privateName : path;
  try {
    await makeDirs(dirname(path));
    await removeStaleSocket(path);
    if (bindAt !== path) await unlink(bindAt).catch(() => undefined); // left by a process with our pid
    const old = process.umask(0o117);
    try {
      await listen(bindAt);
    } finally {
      process.umask(old);
    }
    await chmod(bindAt, 0o660);
    if (target.gid !== undefined) await chown(bindAt, -1, target.gid);
    if (bindAt !== path) await linkInPlace(bindAt, path);
  } catch (err) {
    if (bindAt !== path && server.listening) {
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
      await unlink(bindAt).catch(() => undefined);
    }
    if (err instanceof CriError) throw err;
    const code = (err as NodeJS.ErrnoException).code; // fs and net reject with errno errors
    const why = code === "EACCES" || code === "EROFS" || code === "EPERM" ? "permission denied" : code === "ENOTDIR" || code === "ENOENT" ? "no such directory" : err instanceof Error ? err.message : String(err);
    throw new CriError("FailedPrecondition", `Cannot listen on "${path}": ${why}`, { cause: err });
  }
  return server;
}
