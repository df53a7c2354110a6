import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { CreateContainerRequestSchema } from "../../gen/index.js";
import { parseProcessUser } from "./container-user.js";
import { descendants, parseParentPid } from "./kill-process-tree.js";
import { validateCreateRequest } from "./validate-container-config.js";

describe("container helpers", () => {
  it("reads the user, group and groups of a process", () => {
    const status = "Name:\tsh\nUid:\t1000\t1000\t1000\t1000\nGid:\t2000\t2000\t2000\t2000\nGroups:\t2000 3000 \n";
    assert.deepEqual(parseProcessUser(status), { uid: 1000n, gid: 2000n, supplementalGroups: [2000n, 3000n] });
    assert.deepEqual(parseProcessUser("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n"), { uid: 0n, gid: 0n, supplementalGroups: [] });
    assert.equal(parseProcessUser("garbage"), undefined);
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
