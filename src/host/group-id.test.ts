import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { resolveGroupId } from "./group-id.js";

describe("resolveGroupId", () => {
  it("takes a gid as is and looks a name up in the group file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "docker-cri-group-"));
    try {
      const file = join(dir, "group");
      await writeFile(file, "root:x:0:\n# comment\ndocker:x:998:alice,bob\nbroken:x:\n");
      assert.equal(await resolveGroupId("4242", file), 4242);
      assert.equal(await resolveGroupId("docker", file), 998);
      assert.equal(await resolveGroupId("root", file), 0);
      await assert.rejects(resolveGroupId("kube", file), { kind: "FailedPrecondition", message: /Cannot look up group "kube": no such group in .*group$/ });
      await assert.rejects(resolveGroupId("broken", file), /no such group/);
      await assert.rejects(resolveGroupId("docker", join(dir, "missing")), /cannot read/);
      await assert.rejects(resolveGroupId("4294967295", file), { kind: "InvalidArgument" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
