/**
 * Plays systemd's socket activation for a test: binds and listens on a unix socket, lets the test
 * set its mode and owner (as SocketMode=/SocketGroup= would), hands the listening fd to a docker-cri
 * started with --container-runtime-endpoint=fd:// as fd 3 with LISTEN_PID/LISTEN_FDS, and waits
 * until docker-cri answers on it.
 */
import { mkdtemp, rename, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RuntimeService, type VersionResponse } from "../../src/gen/index.js";
import { criClient, type CriClient } from "./cri-client.js";
import { startDaemon, type Daemon } from "./daemon.js";

export interface ActivatedDaemon {
  readonly daemon: Daemon;
  readonly client: CriClient;
  /** Where the socket file is now. */
  readonly path: string;
  /** The first Version answer on the activated socket. */
  readonly version: VersionResponse;
  /** Stops the daemon (resolving to its exit code) and removes the socket's directory. */
  dispose(): Promise<number | null>;
}

export async function startSocketActivated(prepare: (boundPath: string) => Promise<void> = () => Promise.resolve()): Promise<ActivatedDaemon> {
  const dir = await mkdtemp(join(tmpdir(), "docker-cri-fd-"));
  const bound = join(dir, "bound.sock");
  const path = join(dir, "activated.sock");
  const listener = createServer();
  await new Promise<void>((res) => listener.listen(bound, res));
  await prepare(bound);
  // The listening fd of a net.Server: node keeps it on the handle (an internal, stable on Linux).
  const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
  if (fd <= 2) throw new Error(`unexpected listening fd ${fd}`);
  const daemon = await startDaemon({
    args: ["--container-runtime-endpoint=fd://"],
    // LISTEN_PID must be the daemon's own pid, known only after fork: let the shell set it to $$ and exec.
    wrap: (node, args) => ({ command: "/bin/sh", args: ["-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"', node, ...args] }),
    stdio: ["ignore", "ignore", "pipe", fd],
    waitFor: "none",
  });
  // The parent lets go of its copy so that only the daemon accepts. Closing unlinks the path it was
  // bound to, so move the socket file away first: the daemon's fd keeps serving it under the new name.
  await rename(bound, path);
  listener.close();
  const client = criClient(path);
  const dispose = async (): Promise<number | null> => {
    client.close();
    const code = await daemon.stop();
    await daemon.cleanup();
    await rm(dir, { recursive: true, force: true });
    return code;
  };
  for (let i = 0; ; i++) {
    try {
      const version = await client.call(RuntimeService.method.version, {}, { deadlineMs: 2000 });
      return { daemon, client, path, version, dispose };
    } catch (err) {
      if (i > 40) {
        const stderr = daemon.stderr();
        await dispose();
        throw new Error(`no answer on the activated socket: ${String(err)}\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
