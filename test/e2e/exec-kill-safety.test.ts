/**
 * An ExecSync timeout kills the exec's processes by host pid (src/cri/container/kill-process-tree.ts).
 * The pid comes from an exec inspect, and by the time it is signalled the exec may have ended and its
 * pid gone to another process. Here that happens on purpose, in a host-PID pod (where a PID-namespace
 * check proves nothing): an exec's pid is handed to a host process through
 * /proc/sys/kernel/ns_last_pid, and the kill must refuse it and leave it running. The timeout kill
 * itself must still work in a host-PID pod.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { killProcessTree } from "../../src/cri/container/kill-process-tree.js";
import { NamespaceMode, RuntimeService } from "../../src/gen/index.js";
import { isGrpcError } from "../kit/cri-client.js";
import { startContainerRun, type ContainerRun } from "./container-fixture.js";

const hostPid = { linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.NODE } } } } as const;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a host `sleep` that gets exactly `pid`: the kernel gives the next fork ns_last_pid + 1, and
 * other processes forking meanwhile may take it first, so this tries a few times. The write and the
 * fork happen in one turn of the event loop, so that only other processes' forks can come between.
 */
async function hostProcessWithPid(pid: number): Promise<ChildProcess | undefined> {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (alive(pid)) return undefined;
    writeFileSync("/proc/sys/kernel/ns_last_pid", String(pid - 1));
    const child = spawn("sleep", ["300"], { stdio: "ignore" });
    if (child.pid === pid) return child;
    child.kill("SIGKILL");
    await sleep(10);
  }
  return undefined;
}

describe("ExecSync timeout kills only the container's processes", { timeout: 180_000 }, () => {
  let r: ContainerRun;
  let started = false;
  let id: string;
  const spawned: ChildProcess[] = [];

  before(async () => {
    r = await startContainerRun();
    started = true;
    const pod = await r.pod("hostpid", hostPid);
    id = await r.run(pod, r.container("hostpid", { ...hostPid, command: ["sleep", "600"] }));
  });
  after(async () => {
    for (const c of spawned) c.kill("SIGKILL");
    if (started) await r.close();
  });

  it("a pid reused by a host process after the exec ended is refused, and the host process lives", async () => {
    // In a host-PID pod the shell's $$ is its host pid. On a busy host another process can take that
    // pid before we do (it is then in use, and not ours to hand out): try again with a new exec's pid.
    const tried: number[] = [];
    let pid = 0;
    let impostor: ChildProcess | undefined;
    while (impostor === undefined && tried.length < 10) {
      const out = await r.exec(id, ["sh", "-c", "echo $$"]);
      pid = Number(out.stdout.trim());
      assert.ok(Number.isInteger(pid) && pid > 1, `exec printed "${out.stdout}"`);
      tried.push(pid);
      impostor = await hostProcessWithPid(pid);
    }
    assert.ok(impostor !== undefined, `could not start a host process with any of the exec pids ${tried.join(", ")}`);
    spawned.push(impostor);
    // Same namespace as the container: only the cgroup check can tell.
    assert.equal(await readFile(`/proc/${pid}/ns/pid`, "utf8").catch(() => "n/a"), await readFile("/proc/self/ns/pid", "utf8").catch(() => "n/a"));
    await assert.rejects(killProcessTree(pid, id), { kind: "FailedPrecondition", message: new RegExp(`Cannot kill process ${pid}: it is not in container ${id.slice(0, 12)}'s cgroup`) });
    await sleep(200);
    assert.equal(alive(pid), true, "the host process was signalled");
    assert.equal(impostor.exitCode, null);
  });

  it("the timeout still kills the exec and what it started in a host-PID pod", async () => {
    const marker = `kill-safety-${process.pid}-${Date.now()}`;
    await assert.rejects(
      r.cri.call(RuntimeService.method.execSync, { containerId: id, cmd: ["sh", "-c", `sleep 120 & sleep 121; echo ${marker}`], timeout: 1n }, { deadlineMs: 60_000 }),
      (err: unknown) => isGrpcError(err, grpcStatus.DEADLINE_EXCEEDED, "it was killed"),
    );
    const left = await r.exec(id, ["sh", "-c", "ps -o pid,args | grep 'sleep 12[01]' || true"]);
    assert.equal(left.stdout.trim(), "", `processes left behind:\n${left.stdout}`);
  });
});
