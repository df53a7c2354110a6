/**
 * ExecSync against the real dockerd: output and exit code, the timeout (DeadlineExceeded, and the
 * timed-out process is gone afterwards, which cri-dockerd does not do), the 16 MiB output cap, and
 * its refusals.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { RuntimeService } from "../../src/gen/index.js";
import { criClient, isGrpcError } from "../kit/cri-client.js";
import { startContainerRun, type ContainerRun } from "./container-fixture.js";

/** Host pids whose command line contains `needle` (the test runs in the host's PID namespace). */
async function hostProcesses(needle: string): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const cmd = await readFile(`/proc/${e}/cmdline`, "utf8").catch(() => "");
    if (cmd.split("\0").join(" ").includes(needle)) out.push(Number(e));
  }
  return out;
}

describe("ExecSync", () => {
  let r: ContainerRun;
  let started = false;
  let id: string;

  before(async () => {
    r = await startContainerRun();
    started = true;
    const pod = await r.pod("exec");
    id = await r.run(pod, r.container("exec"));
  });
  after(async () => {
    if (started) await r.close();
  });

  it("returns stdout, stderr and the exit code", async () => {
    assert.deepEqual(await r.exec(id, ["sh", "-c", "echo out; echo err >&2; exit 3"]), { stdout: "out\n", stderr: "err\n", exitCode: 3 });
    assert.deepEqual(await r.exec(id, ["echo", "hello world"]), { stdout: "hello world\n", stderr: "", exitCode: 0 });
    const missing = await r.exec(id, ["no-such-command"]);
    assert.ok(missing.exitCode === 126 || missing.exitCode === 127, `exit code ${missing.exitCode}`);
  });

  it("fails with DeadlineExceeded at its timeout and kills the command with its children", async () => {
    const marker = `sleep 43${Math.floor(Math.random() * 90 + 10)}`;
    const t0 = Date.now();
    // The shell waits for sleep (the echo after it keeps sh from exec-ing it), so both must die.
    await assert.rejects(r.exec(id, ["sh", "-c", `${marker}; echo never`], 1n), (err) => isGrpcError(err, grpcStatus.DEADLINE_EXCEEDED, "timed out after 1s"));
    const took = Date.now() - t0;
    assert.ok(took >= 900 && took < 5000, `took ${took} ms`);
    assert.deepEqual(await hostProcesses(marker), [], "no process of the exec is left");
    const ps = await r.exec(id, ["ps", "-o", "args"]);
    assert.doesNotMatch(ps.stdout, new RegExp(marker));
  });

  it("caps the output so that the answer fits in 16 MiB, and still succeeds", async () => {
    // A client that would take more, to see that the cap is the server's.
    const client = criClient(r.daemon.socketPath, { maxReceiveBytes: 64 * 1024 * 1024 });
    try {
      // Megabytes past the cap on stdout before anything reaches stderr: up to a few hundred KiB of
      // stdout can still sit in the pipes between the container and dockerd when stderr is written.
      const cmd = ["sh", "-c", "head -c 20000000 /dev/zero; head -c 10 /dev/zero >&2"];
      const res = await client.call(RuntimeService.method.execSync, { containerId: id, cmd, timeout: 60n }, { deadlineMs: 60_000 });
      assert.equal(res.stdout.length, 16 * 1024 * 1024 - 1024, "stdout came first and took what one answer can carry");
      assert.equal(res.stderr.length, 0);
      assert.ok(res.stdout.every((b) => b === 0));
      assert.equal(res.exitCode, 0);
    } finally {
      client.close();
    }
  });

  it("refuses bad requests, unknown and stopped containers", async () => {
    await assert.rejects(r.cri.call(RuntimeService.method.execSync, { containerId: id, cmd: [] }), (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT, "needs a command"));
    await assert.rejects(r.cri.call(RuntimeService.method.execSync, { containerId: "", cmd: ["true"] }), (err) => isGrpcError(err, grpcStatus.INVALID_ARGUMENT));
    await assert.rejects(r.cri.call(RuntimeService.method.execSync, { containerId: "f".repeat(64), cmd: ["true"] }), (err) => isGrpcError(err, grpcStatus.NOT_FOUND));
    const pod = await r.pod("exec-stopped");
    const stopped = await r.create(pod, r.container("stopped"));
    await assert.rejects(r.cri.call(RuntimeService.method.execSync, { containerId: stopped, cmd: ["true"] }), (err) => isGrpcError(err, grpcStatus.FAILED_PRECONDITION, "not running"));
  });
});
