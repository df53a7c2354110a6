import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ContainerConfigSchema } from "../../gen/index.js";
import { checkCommand, checkContainerProcessPaths, maxArgBytes, maxFirstArgBytes, maxPathBytes } from "./process-limits.js";

const invalid = (re: RegExp) => (err: unknown) => err instanceof Error && "kind" in err && err.kind === "InvalidArgument" && re.test(err.message);

describe("process limits", () => {
  it("refuse an executable longer than a path, and an argument longer than Linux passes", () => {
    checkCommand("cmd", ["/bin/sh", "-c", "x".repeat(maxArgBytes)]);
    assert.throws(() => { checkCommand("cmd", ["x".repeat(maxPathBytes + 1)]); }, invalid(/the executable: 4097 bytes long/));
    assert.throws(() => { checkCommand("cmd", ["sh", "-c", "y".repeat(maxArgBytes + 1)]); }, invalid(/argument 2 is 131073 bytes long/));
    // Bytes, not characters: 2,000 three-byte characters are 6,000 bytes.
    assert.throws(() => { checkCommand("cmd", ["☃".repeat(2000)]); }, invalid(/6000 bytes/));
  });

  it("check CreateContainer's command, args, working directory, mounts, devices and log path", () => {
    const ok = create(ContainerConfigSchema, { command: ["sleep"], args: ["1"], workingDir: "/w", mounts: [{ hostPath: "/h", containerPath: "/c" }], logPath: "a.log" });
    checkContainerProcessPaths(ok);
    // Without a command, args[0] may be a script for the image's entrypoint: long is fine, runc-hanging long is not.
    checkContainerProcessPaths(create(ContainerConfigSchema, { args: ["s".repeat(maxFirstArgBytes)] }));
    assert.throws(() => { checkContainerProcessPaths(create(ContainerConfigSchema, { args: ["s".repeat(maxFirstArgBytes + 1)] })); }, invalid(/without a command it may be the executable/));
    assert.throws(() => { checkContainerProcessPaths(create(ContainerConfigSchema, { workingDir: `/${"w".repeat(maxPathBytes)}` })); }, invalid(/working_dir/));
    assert.throws(() => { checkContainerProcessPaths(create(ContainerConfigSchema, { mounts: [{ hostPath: "/h", containerPath: `/${"c".repeat(maxPathBytes)}` }] })); }, invalid(/mount container_path/));
    assert.throws(() => { checkContainerProcessPaths(create(ContainerConfigSchema, { devices: [{ hostPath: `/${"d".repeat(maxPathBytes)}`, containerPath: "/dev/x" }] })); }, invalid(/device host_path/));
  });
});
