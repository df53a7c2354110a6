import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { CreateContainerRequestSchema } from "../../gen/index.js";
import type { ContainerInspect } from "../../docker/index.js";
import { containerProcessUser, parseProcessUser } from "./container-user.js";
import { descendants, parseParentPid } from "./kill-process-tree.js";
import { validateCreateRequest } from "./validate-container-config.js";

describe("container helpers", () => {
  it("reads the user, group and groups of a process", () => {
    const status = "Name:\tsh\nUid:\t1000\t1000\t1000\t1000\nGid:\t2000\t2000\t2000\t2000\nGroups:\t2000 3000 \n";
    assert.deepEqual(parseProcessUser(status), { uid: 1000n, gid: 2000n, supplementalGroups: [2000n, 3000n] });
    assert.deepEqual(parseProcessUser("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n"), { uid: 0n, gid: 0n, supplementalGroups: [] });
    assert.equal(parseProcessUser("garbage"), undefined);
  });

  it("reads a running container's process user once for each inspect of it", async () => {
    // This test's own process stands in for the container's first process.
    const inspect = (running: boolean): ContainerInspect => ({ state: { running, pid: running ? process.pid : 0 } }) as unknown as ContainerInspect;
    const first = inspect(true);
    const user = await containerProcessUser(first);
    assert.deepEqual(user && { uid: user.uid, gid: user.gid }, { uid: BigInt(process.getuid?.() ?? -1), gid: BigInt(process.getgid?.() ?? -1) });
    assert.equal(containerProcessUser(first), containerProcessUser(first), "the same inspect: the same reading");
    const next = inspect(true);
    assert.notEqual(containerProcessUser(next), containerProcessUser(first), "a new inspect (a restart, any change): read again");
    assert.deepEqual(await containerProcessUser(next), user);
    assert.equal(await containerProcessUser(inspect(false)), undefined, "no user for a container that is not running");
  });

  it("finds a process tree from parent pids, names with spaces and parentheses included", () => {
    assert.equal(parseParentPid("42 (my (odd) name) S 7 42 42 0 -1"), 7);
    const parents = new Map([[10, 1], [11, 10], [12, 11], [13, 10], [20, 1]]);
    assert.deepEqual(descendants(10, parents), [10, 11, 13, 12]);
    assert.deepEqual(descendants(20, parents), [20]);
  });

  it("joins the log directory and path, and refuses paths that leave it", () => {
    const req = (logDirectory: string, logPath: string) =>
      create(CreateContainerRequestSchema, { podSandboxId: "s", config: { metadata: { name: "c" }, image: { image: "i" }, logPath }, sandboxConfig: { logDirectory } });
    assert.equal(validateCreateRequest(req("/var/log/pods/x", "c/0.log")).logPath, "/var/log/pods/x/c/0.log");
    assert.equal(validateCreateRequest(req("/var/log/pods/x", "")).logPath, "");
    assert.throws(() => validateCreateRequest(req("/var/log/pods/x", "../../etc/x")), /may not contain ".."/);
    assert.throws(() => validateCreateRequest(req("", "c/0.log")), /log_path must be absolute/);
  });
});
