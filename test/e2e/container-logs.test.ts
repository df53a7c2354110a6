/**
 * Container logs in the CRI format through the whole stack: docker-cri copies each container's
 * output from Docker's json-file log into log_directory/log_path as
 * "<RFC 3339 timestamp> <stdout|stderr> <F|P> <text>" lines, reopens the file on ReopenContainerLog
 * (the kubelet's rotation), and loses or repeats no line across a rotation or a docker-cri restart.
 */
import assert from "node:assert/strict";
import { readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ContainerState, RuntimeService } from "../../src/gen/index.js";
import { rfc3339NanoToNs } from "../../src/container-logs/rfc3339-nano.js";
import { isGrpcError } from "../kit/cri-client.js";
import { startDaemon, type Daemon } from "../kit/daemon.js";
import { PAUSE_IMAGE } from "../kit/images.js";
import { waitFor } from "../kit/wait-for.js";
import { status as grpcStatus } from "@grpc/grpc-js";
import { startContainerRun, type ContainerRun } from "./container-fixture.js";

interface CriLine {
  readonly time: string;
  readonly stream: "stdout" | "stderr";
  readonly tag: "F" | "P";
  readonly text: string;
}

/** Parses a CRI log file (written independently of src/: the format of the kubelet's parser). */
async function readCriLog(path: string): Promise<CriLine[]> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text.split("\n").filter((l) => l !== "").map((l) => {
    const m = /^(\S+) (stdout|stderr) (F|P) (.*)$/s.exec(l);
    assert.ok(m !== null, `not a CRI log line: ${JSON.stringify(l)}`);
    const [, time = "", stream, tag, body = ""] = m;
    assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/, "RFC 3339 (nano) timestamp");
    return { time, stream: stream === "stderr" ? "stderr" : "stdout", tag: tag === "P" ? "P" : "F", text: body };
  });
}

/** Whole lines of one stream: P pieces joined up to their F. */
function wholeLines(lines: readonly CriLine[], stream: "stdout" | "stderr"): string[] {
  const out: string[] = [];
  let pending = "";
  for (const l of lines) {
    if (l.stream !== stream) continue;
    pending += l.text;
    if (l.tag === "F") {
      out.push(pending);
      pending = "";
    }
  }
  return out;
}

/** The counter values a counting container wrote, across files, in order. */
function counts(...files: CriLine[][]): number[] {
  return files.flatMap((f) => wholeLines(f, "stdout")).map(Number);
}

function assertContiguous(values: readonly number[]): void {
  assert.ok(values.length > 0);
  for (let i = 0; i < values.length; i++) assert.equal(values[i], i + 1, `line ${i + 1} is ${values[i]}: lost or repeated output`);
}

const counter = (n: number) => ["sh", "-c", `i=0; while [ $i -lt ${n} ]; do i=$((i+1)); echo $i; sleep 0.003; done`];

async function waitForLines(path: string, min: number): Promise<void> {
  await waitFor(`${min} lines in ${path}`, async () => (await readCriLog(path)).length >= min, { timeoutMs: 20_000 });
}

describe("container logs in the CRI format", () => {
  let r: ContainerRun;
  let started = false;

  before(async () => {
    r = await startContainerRun();
    started = true;
  });
  after(async () => {
    if (started) await r.close();
  });

  it("writes stdout and stderr as CRI lines, long lines as P pieces ending in F", async () => {
    const pod = await r.pod("logs");
    const id = await r.run(pod, r.container("echo", {
      command: ["sh", "-c", "echo hello; echo oops >&2; head -c 20000 /dev/zero | tr '\\0' a; echo; echo done"],
      logPath: "echo/0.log",
    }));
    await r.waitFor(id, ContainerState.CONTAINER_EXITED);
    // ContainerStatus answered EXITED: the whole output is in the file now.
    const lines = await readCriLog(join(r.dir, "pod-logs", "echo/0.log"));
    assert.deepEqual(wholeLines(lines, "stdout"), ["hello", "a".repeat(20000), "done"]);
    assert.deepEqual(wholeLines(lines, "stderr"), ["oops"]);
    assert.ok(lines.some((l) => l.tag === "P"), "Docker splits lines over 16 KiB; the pieces are P lines");
    // Docker timestamps each stream as its copier reads it and the two copiers race to the log
    // driver, so stdout and stderr entries may interleave slightly out of time order (seen on Docker
    // 26.1): only the order within one stream is Docker's promise, and the copy must keep it.
    for (const stream of ["stdout", "stderr"] as const) {
      const ofStream = lines.filter((l) => l.stream === stream);
      const times = ofStream.map((l) => rfc3339NanoToNs(l.time));
      assert.ok(ofStream.length > 0 && times.every((t) => t !== undefined), `${stream}: every line has an RFC3339Nano time`);
      for (let i = 1; i < times.length; i++) {
        assert.ok((times[i] ?? 0n) >= (times[i - 1] ?? 0n), `${stream}: ${ofStream[i]?.time} follows ${ofStream[i - 1]?.time}`);
      }
    }
  });

  it("reopens the log after the kubelet renamed it, losing and repeating nothing", async () => {
    const pod = await r.pod("reopen");
    const id = await r.run(pod, r.container("count", { command: counter(100_000), logPath: "count/0.log" }));
    const path = join(r.dir, "pod-reopen", "count/0.log");
    await waitForLines(path, 100);
    await rename(path, `${path}.1`);
    await r.cri.call(RuntimeService.method.reopenContainerLog, { containerId: id });
    await waitForLines(path, 100);
    await r.cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 0n });
    const rotated = await readCriLog(`${path}.1`);
    const current = await readCriLog(path);
    assert.ok(rotated.length >= 100 && current.length >= 100);
    assertContiguous(counts(rotated, current));
    // After the stop the file no longer grows, and a stopped container's log cannot be reopened.
    await assert.rejects(r.cri.call(RuntimeService.method.reopenContainerLog, { containerId: id }), (err) => isGrpcError(err, grpcStatus.FAILED_PRECONDITION));
    await assert.rejects(r.cri.call(RuntimeService.method.reopenContainerLog, { containerId: "f".repeat(64) }), (err) => isGrpcError(err, grpcStatus.NOT_FOUND));
  });
});

describe("container logs across docker-cri restarts", () => {
  let r: ContainerRun;
  let started = false;
  let second: Daemon | undefined;

  before(async () => {
    r = await startContainerRun();
    started = true;
  });
  after(async () => {
    await second?.stop();
    await second?.cleanup();
    if (started) await r.close();
  });

  it("loses and repeats no line when docker-cri is killed and started again during output", async () => {
    const pod = await r.pod("restart");
    const id = await r.run(pod, r.container("count", { command: counter(100_000), logPath: "count/0.log" }));
    const path = join(r.dir, "pod-restart", "count/0.log");
    await waitForLines(path, 100);
    r.daemon.proc.kill("SIGKILL");
    await r.daemon.exited;
    // The container keeps writing while no docker-cri runs.
    await sleep(500);
    // The killed daemon's socket file is still there; the kit waits for the socket file to appear, so it
    // goes first (the new daemon replaces it anyway), or the first call could land before the new one
    // listens (seen under load: ENOENT while it swapped the file).
    await rm(r.daemon.socketPath, { force: true });
    second = await startDaemon({
      args: [
        `--container-runtime-endpoint=unix://${r.daemon.socketPath}`,
        `--cri-dockerd-root-directory=${r.daemon.rootDir}`,
        `--pod-infra-container-image=${PAUSE_IMAGE}`,
      ],
    });
    const cri = second.client();
    const before = (await readCriLog(path)).length;
    const deadline = Date.now() + 20_000;
    while ((await readCriLog(path)).length < before + 200 && Date.now() < deadline) await sleep(50);
    await cri.call(RuntimeService.method.stopContainer, { containerId: id, timeout: 0n });
    assertContiguous(counts(await readCriLog(path)));
    await cri.call(RuntimeService.method.removeContainer, { containerId: id });
  });
});
