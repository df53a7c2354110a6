import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { resolvConfText, rewriteResolvConf } from "./resolv-conf.js";

describe("resolv.conf", () => {
  it("renders servers, searches and options", () => {
    assert.equal(resolvConfText({ servers: ["10.96.0.10"], searches: ["ns.svc.cluster.local", "svc.cluster.local"], options: ["ndots:5"] }),
      "nameserver 10.96.0.10\nsearch ns.svc.cluster.local svc.cluster.local\noptions ndots:5\n");
    assert.equal(resolvConfText({ servers: [], searches: [], options: [] }), "");
  });

  it("rewrites the file in place, keeping its inode (it is bind-mounted into the pod)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "docker-cri-resolv-"));
    try {
      const path = join(dir, "resolv.conf");
      await writeFile(path, "nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch very.long.original.domain.example\n");
      const before = await stat(path);
      assert.equal(await rewriteResolvConf(path, { servers: ["10.0.0.10"], searches: [], options: [] }), true);
      assert.equal(await readFile(path, "utf8"), "nameserver 10.0.0.10\n");
      assert.equal((await stat(path)).ino, before.ino);
      assert.equal(await rewriteResolvConf(path, { servers: [], searches: [], options: [] }), false, "an empty DNS config leaves Docker's file");
      await assert.rejects(rewriteResolvConf(join(dir, "missing"), { servers: ["1.1.1.1"], searches: [], options: [] }), /Cannot rewrite the sandbox's resolv.conf/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
