import assert from "node:assert/strict";
import { lstatSync, readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { linkInPlace, listenEndpoint } from "./listen-endpoint.js";

/** A group other than our primary one that we may chown to: root may use any; others get their supplementary groups. */
function otherGroup(): number | undefined {
  if (process.getuid?.() === 0) return 4243;
  return process.getgroups?.().find((g) => g !== process.getgid?.());
}

/** Resolves once something accepts a connection at `path`. */
function connects(path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const c = connect(path);
    c.once("connect", () => { c.destroy(); resolve(); });
    c.once("error", reject);
  });
}

function closeServer(server: { close(cb: () => void): void }): Promise<void> {
  return new Promise((resolve) => { server.close(() => { resolve(); }); });
}

describe("listenEndpoint", () => {
  it("never shows the socket at its path before its mode and group are final", async (t) => {
    const gid = otherGroup();
    if (gid === undefined) {
      t.skip("needs root or a supplementary group");
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), "listen-endpoint-"));
    const path = join(dir, "cri.sock");
    try {
      // Watch the path on every turn of the event loop while the socket is being set up: the old
      // bind-then-chown order showed it with the process's own group for a few turns.
      const seen: { mode: number; gid: number }[] = [];
      let watching = true;
      const watch = (): void => {
        try {
          const st = lstatSync(path);
          seen.push({ mode: st.mode & 0o777, gid: st.gid });
        } catch {
          // not there yet
        }
        if (watching) setImmediate(watch);
      };
      watch();
      const server = await listenEndpoint({ kind: "unix", path, gid }, (s) => { s.end(); });
      watching = false;
      try {
        seen.push({ mode: lstatSync(path).mode & 0o777, gid: lstatSync(path).gid });
        assert.deepEqual(seen.filter((s) => s.mode !== 0o660 || s.gid !== gid), [], "every sighting of the socket has mode 0660 and the group asked for");
        assert.deepEqual(readdirSync(dir), ["cri.sock"], "the private name is gone");
        await connects(path);
      } finally {
        await closeServer(server);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a path that holds something other than a socket, leaving nothing behind", async () => {
    const dir = await mkdtemp(join(tmpdir(), "listen-endpoint-"));
    const path = join(dir, "cri.sock");
    try {
      await writeFile(path, "not a socket");
      await assert.rejects(listenEndpoint({ kind: "unix", path }, (s) => { s.end(); }), { kind: "FailedPrecondition", message: `Cannot listen on "${path}": it exists and is not a socket` });
      assert.deepEqual(readdirSync(dir), ["cri.sock"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("never takes the path from another docker-cri that got there first, and refuses clearly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "listen-endpoint-"));
    const path = join(dir, "cri.sock");
    try {
      const first = await listenEndpoint({ kind: "unix", path }, (s) => { s.end(); });
      try {
        await assert.rejects(listenEndpoint({ kind: "unix", path }, (s) => { s.end(); }), { kind: "FailedPrecondition", message: `Cannot listen on "${path}": another process is already serving on it` });
        assert.deepEqual(readdirSync(dir), ["cri.sock"], "no private name left behind");
        await connects(path);
      } finally {
        await closeServer(first);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("does not link over a socket another process began serving on after the check", async () => {
    const dir = await mkdtemp(join(tmpdir(), "listen-endpoint-"));
    const path = join(dir, "cri.sock");
    const mine = join(dir, ".cri.sock.mine");
    const serve = (at: string, reply: string): Promise<Server> => new Promise((resolve) => {
      // The liveness probe hangs up at once: the reply then meets a reset socket.
      const srv = createServer((s) => { s.on("error", () => undefined); s.end(reply); });
      srv.listen(at, () => { resolve(srv); });
    });
    const replyAt = (at: string): Promise<string> => new Promise((resolve, reject) => {
      let text = "";
      const c = connect(at);
      c.setEncoding("utf8").on("data", (d: string) => { text += d; });
      c.once("end", () => { resolve(text); });
      c.once("error", reject);
    });
    try {
      const other = await serve(path, "other");
      const own = await serve(mine, "mine");
      try {
        await assert.rejects(linkInPlace(mine, path), { kind: "FailedPrecondition", message: `Cannot listen on "${path}": another process is already serving on it` });
        assert.equal(await replyAt(path), "other", "the path still reaches the process that had it");
      } finally {
        await closeServer(own);
        await closeServer(other);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("binds a path too long for a private name beside it directly, still 0660", async () => {
    const dir = await mkdtemp(join(tmpdir(), "listen-endpoint-"));
    // 107 bytes in all: the longest socket path, with no room for the private name.
    const path = join(dir, "s".repeat(107 - dir.length - 1));
    assert.equal(Buffer.byteLength(path), 107);
    try {
      const server = await listenEndpoint({ kind: "unix", path }, (s) => { s.end(); });
      try {
        const st = lstatSync(path);
        assert.ok(st.isSocket());
        assert.equal(st.mode & 0o777, 0o660);
      } finally {
        await closeServer(server);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
