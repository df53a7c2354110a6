import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { inContainerCgroup, killProcessTree, parseStartTime } from "./kill-process-tree.js";

const id = "a".repeat(64);
const other = "b".repeat(64);

/** A /proc/<pid>/stat line with the given parent and start time (22nd field). */
function stat(pid: number, ppid: number, start: number, name = "sh"): string {
  const rest = ["S", String(ppid), ...Array.from({ length: 17 }, () => "0"), String(start), "0"];
  return `${pid} (${name}) ${rest.join(" ")}\n`;
}

describe("killProcessTree", () => {
  let proc: string;
  const add = async (pid: number, ppid: number, cgroup: string): Promise<void> => {
    await mkdir(join(proc, String(pid)), { recursive: true });
    await writeFile(join(proc, String(pid), "stat"), stat(pid, ppid, 1000 + pid, "my (odd) name"));
    await writeFile(join(proc, String(pid), "cgroup"), cgroup);
  };
  before(async () => {
    proc = await mkdtemp(join(tmpdir(), "docker-cri-proc-"));
    await add(1, 0, "0::/init.scope\n");
    await add(10, 1, `12:pids:/docker/${id}\n11:memory:/docker/${id}\n0::/\n`);
    await add(11, 10, `12:pids:/docker/${id}\n`);
    // A child that left the container's cgroup (or a pid taken by a host process): spared.
    await add(12, 10, `12:pids:/docker/${other}\n`);
    await add(13, 12, `1:name=systemd:/system.slice/docker-${id}.scope\n`);
    await add(20, 1, "0::/user.slice/session-1.scope\n");
  });
  after(async () => {
    await rm(proc, { recursive: true, force: true });
  });

  it("signals the root and each descendant proven to be the container's, and spares the others", async () => {
    const signalled: number[] = [];
    const result = await killProcessTree(10, id, { procRoot: proc, kill: (p) => signalled.push(p) });
    assert.deepEqual(signalled, [10, 11, 13]);
    assert.deepEqual(result, { killed: 3, spared: 1 });
  });

  it("refuses a root process outside the container's cgroup (a reused pid) and signals nothing", async () => {
    const signalled: number[] = [];
    await assert.rejects(killProcessTree(20, id, { procRoot: proc, kill: (p) => signalled.push(p) }), { kind: "FailedPrecondition", message: /Cannot kill process 20: it is not in container aaaaaaaaaaaa's cgroup \(its pid was reused\)/ });
    assert.deepEqual(signalled, []);
  });

  it("answers NotFound for a pid that is gone, and InvalidArgument for a bad pid or a short container id", async () => {
    await assert.rejects(killProcessTree(99, id, { procRoot: proc, kill: () => undefined }), { kind: "NotFound" });
    await assert.rejects(killProcessTree(0, id, { procRoot: proc, kill: () => undefined }), { kind: "InvalidArgument" });
    await assert.rejects(killProcessTree(10, id.slice(0, 12), { procRoot: proc, kill: () => undefined }), { kind: "InvalidArgument", message: /a full container id is needed/ });
  });
});

describe("inContainerCgroup and parseStartTime", () => {
  it("matches the id as a whole path component or Docker's systemd scope, never a prefix or a substring", () => {
    assert.equal(inContainerCgroup(`0::/kubepods/besteffort/pod1/${id}\n`, id), true);
    assert.equal(inContainerCgroup(`0::/system.slice/docker-${id}.scope\n`, id), true);
    assert.equal(inContainerCgroup(`0::/docker/${id}x\n`, id), false);
    assert.equal(inContainerCgroup(`0::/docker/x${id}\n`, id), false);
    assert.equal(inContainerCgroup("0::/\n", id), false);
  });
  it("reads the 22nd field after the parenthesised name", () => {
    assert.equal(parseStartTime(stat(5, 1, 123456, "a ) b")), "123456");
    assert.equal(parseStartTime("garbage"), undefined);
  });
});
