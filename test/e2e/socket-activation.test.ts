/**
 * systemd socket activation: the listening socket arrives as fd 3 with LISTEN_PID/LISTEN_FDS, and
 * docker-cri serves on it with --container-runtime-endpoint=fd://.
 */
import assert from "node:assert/strict";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { RuntimeService } from "../../src/gen/index.js";
import { criClient } from "../kit/cri-client.js";
import { startDaemon } from "../kit/daemon.js";

describe("--container-runtime-endpoint=fd://", () => {
  it("serves CRI on a socket passed the systemd way", async () => {
    const dir = await mkdtemp(join(tmpdir(), "docker-cri-fd-"));
    const bound = join(dir, "bound.sock");
    const path = join(dir, "activated.sock");
    // Plays systemd: bind and listen, then hand the listening fd to the child as fd 3.
    const listener = createServer();
    await new Promise<void>((res) => listener.listen(bound, res));
    // The listening fd of a net.Server: node keeps it on the handle (an internal, stable on Linux).
    const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
    assert.ok(fd > 2, `listening fd ${fd}`);
    const d = await startDaemon({
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
    try {
      let version;
      for (let i = 0; ; i++) {
        try {
          version = await client.call(RuntimeService.method.version, {}, { deadlineMs: 2000 });
          break;
        } catch (err) {
          if (i > 40) throw new Error(`no answer on the activated socket: ${String(err)}\n${d.stderr()}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      assert.equal(version.runtimeName, "docker");
      assert.match(d.stderr(), /"endpoint":"fd:\/\/3"/);
    } finally {
      client.close();
      assert.equal(await d.stop(), 0);
      await d.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
