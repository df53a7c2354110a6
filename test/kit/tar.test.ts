// Checks the USTAR writer against GNU tar, the reference reader on this machine.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createTar } from "./tar.js";

describe("createTar", () => {
  const longDir = `${"d".repeat(90)}/${"e".repeat(50)}`;
  const tar = createTar(
    [
      { type: "directory", path: "/tmp", mode: 0o1777 },
      { type: "directory", path: "bin" },
      { type: "file", path: "bin/tool", content: Buffer.from([0, 1, 2, 255]), mode: 0o755 },
      { type: "file", path: "etc/passwd", content: "root:x:0:0::/root:/bin/sh\n", uid: 33, gid: 33 },
      { type: "file", path: "empty", content: "" },
      { type: "symlink", path: "bin/sh", target: "/bin/tool" },
      { type: "file", path: `${longDir}/file`, content: "x".repeat(513) },
    ],
    { mtime: 1_700_000_000 },
  );

  it("pads to whole blocks and ends with two zero blocks", () => {
    assert.equal(tar.length % 512, 0);
    assert.ok(tar.subarray(tar.length - 1024).every((b) => b === 0));
  });

  it("is deterministic", () => {
    assert.deepEqual(createTar([{ type: "file", path: "a", content: "a" }]), createTar([{ type: "file", path: "a", content: "a" }]));
  });

  it("is read back by GNU tar with modes, owners, links and long paths", () => {
    const listing = execFileSync("tar", ["-tv", "--numeric-owner", "--full-time"], { input: tar, encoding: "utf8" });
    const lines = listing.trimEnd().split("\n").map((l) => l.split(/\s+/));
    assert.deepEqual(
      lines.map((f) => [f[0], f[1], f.slice(5).join(" ")]),
      [
        ["drwxrwxrwt", "0/0", "tmp/"],
        ["drwxr-xr-x", "0/0", "bin/"],
        ["-rwxr-xr-x", "0/0", "bin/tool"],
        ["-rw-r--r--", "33/33", "etc/passwd"],
        ["-rw-r--r--", "0/0", "empty"],
        ["lrwxrwxrwx", "0/0", "bin/sh -> /bin/tool"],
        ["-rw-r--r--", "0/0", `${longDir}/file`],
      ],
    );
    assert.ok(lines.every((f) => f[3] === "2023-11-14"), listing);

    const dir = mkdtempSync(join(tmpdir(), "docker-cri-tar-test-"));
    try {
      execFileSync("tar", ["-x", "-C", dir], { input: tar });
      assert.deepEqual(readFileSync(join(dir, "bin/tool")), Buffer.from([0, 1, 2, 255]));
      assert.equal(readFileSync(join(dir, longDir, "file"), "utf8"), "x".repeat(513));
      assert.equal(readlinkSync(join(dir, "bin/sh")), "/bin/tool");
      assert.equal(statSync(join(dir, "bin/tool")).mode & 0o7777, 0o755);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects a path that cannot fit the USTAR fields", () => {
    assert.throws(() => createTar([{ type: "file", path: "x".repeat(101), content: "" }]), /does not fit/);
  });
});
