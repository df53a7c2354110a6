import type { MessageInitShape } from "@bufbuild/protobuf";
import { setTimeout as sleep } from "node:timers/promises";
import { StdFrameParser, StdStream, type DockerHijackResponse } from "../../docker/index.js";
import { CriError, errorMessage, withContext } from "../../errors/index.js";
import type { ExecSyncRequest, ExecSyncResponseSchema } from "../../gen/index.js";
import type { Logger } from "../../logger/index.js";
import type { RpcContext } from "../context.js";
import { checkCommand } from "../translate/index.js";
import { clampTimerMs } from "../../util/timer-limit.js";
import type { ContainerDeps } from "./container-deps.js";
import { locateContainer } from "./locate-container.js";

/** CRI: "The runtime should cap the output of this response to 16MB" per stream (CVE-2022-1708). */
export const maxExecOutputBytes = 16 * 1024 * 1024;
/**
 * Both streams together: the answer must fit in one gRPC message, and the kubelet's client (like our
 * server) takes at most 16 MiB; 1 KiB is left for the message's framing and exit code. Output is kept
 * first come, first served.
 */
export const maxExecResponseOutputBytes = 16 * 1024 * 1024 - 1024;

/**
 * Docker may report an exec as running for a moment after its output ended; inspect again after
 * these pauses (about 10 s in all, as dockershim's five tries 2 s apart) before taking its exit code.
 */
const exitPollDelaysMs = [0, 10, 25, 50, 100, 250, 500, 1000, 2000, 2000, 2000, 2000];

/**
 * ExecSync: exec create and start (hijacked, multiplexed output), stdout and stderr each kept up to
 * 16 MiB (and together just under 16 MiB, see maxExecResponseOutputBytes) with the rest read and dropped, then the exit code from exec inspect. With a timeout (in
 * seconds; 0 = none) the command is killed when it passes and the call fails with DeadlineExceeded;
 * a caller that goes away has it killed too (see killProcessTree for how, and why not through Docker).
 */
export async function execSync(deps: ContainerDeps, request: ExecSyncRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ExecSyncResponseSchema>> {
  if (request.containerId === "") throw new CriError("InvalidArgument", "ExecSync needs a container_id");
  if (request.cmd.length === 0) throw new CriError("InvalidArgument", "ExecSync needs a command");
  if (request.timeout < 0n) throw new CriError("InvalidArgument", `ExecSync timeout ${request.timeout} is negative`);
  checkCommand("ExecSync cmd", request.cmd);
  let c = await locateContainer(deps, request.containerId, ctx.signal);
  // A refusal is never read from the cache: a container started a moment ago may be an event ahead of it.
  if (c !== undefined && !c.state.running) c = await locateContainer(deps, c.id, ctx.signal, { fresh: true });
  if (c === undefined) throw new CriError("NotFound", `Container "${request.containerId}" not found`);
  if (!c.state.running) throw new CriError("FailedPrecondition", `Cannot exec in container "${c.id}": it is ${c.state.status}, not running`);
  const cmdText = JSON.stringify(request.cmd);

  let execId: string;
  let hijack: DockerHijackResponse;
  try {
    execId = await deps.exec.create(c.id, { cmd: request.cmd, tty: false, stdin: false, stdout: true, stderr: true }, ctx.signal);
    hijack = await deps.exec.start(execId, false, ctx.signal);
  } catch (err) {
    throw withContext(err, `Cannot exec ${cmdText} in container "${c.id}"`);
  }

  const budget = { left: maxExecResponseOutputBytes };
  const stdout = new CappedBuffer(maxExecOutputBytes, budget);
  const stderr = new CappedBuffer(maxExecOutputBytes, budget);
  const copied = copyOutput(hijack, stdout, stderr);
  const timeoutMs = request.timeout > 0n ? clampTimerMs(Number(request.timeout) * 1000) : 0;
  const outcome = await raceEnd(copied, timeoutMs, ctx.signal);
  if (outcome !== "done") {
    hijack.socket.destroy();
    copied.catch(() => undefined);
    await killExec(deps, execId, c.id, ctx.log);
    if (outcome === "timeout") {
      throw new CriError("DeadlineExceeded", `Command ${cmdText} in container "${c.id}" timed out after ${request.timeout}s; it was killed`);
    }
    throw new CriError("Canceled", `Command ${cmdText} in container "${c.id}" was canceled by the caller; it was killed`);
  }
  await copied.catch((err: unknown) => {
    throw withContext(err, `Exec ${cmdText} in container "${c.id}" failed`);
  });
  if (stdout.dropped > 0 || stderr.dropped > 0) {
    ctx.log.warn({ execId, stdoutDropped: stdout.dropped, stderrDropped: stderr.dropped }, "ExecSync output exceeded what one answer can carry (16 MiB); the rest was dropped");
  }
  return { stdout: stdout.bytes(), stderr: stderr.bytes(), exitCode: await waitForExit(deps, execId, ctx.log) };
}

/** Keeps the first `max` bytes written to it (within a budget it may share) and counts the rest. */
export class CappedBuffer {
  readonly #max: number;
  readonly #budget: { left: number };
  readonly #chunks: Buffer[] = [];
  #size = 0;
  dropped = 0;

  constructor(max: number, budget: { left: number } = { left: max }) {
    this.#max = max;
    this.#budget = budget;
  }

  push(chunk: Buffer): void {
    const room = Math.min(this.#max - this.#size, this.#budget.left);
    if (room <= 0) {
      this.dropped += chunk.length;
      return;
    }
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    // Copied: the parser's frames share memory with its pending buffer.
    this.#chunks.push(Buffer.from(kept));
    this.#size += kept.length;
    this.#budget.left -= kept.length;
    this.dropped += chunk.length - kept.length;
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.#chunks);
  }
}

/** Demultiplexes the exec's output (no TTY: stdcopy frames) into the two buffers until Docker ends it. */
async function copyOutput(hijack: DockerHijackResponse, stdout: CappedBuffer, stderr: CappedBuffer): Promise<void> {
  const parser = new StdFrameParser();
  const route = (chunk: Buffer): void => {
    for (const frame of parser.push(chunk)) {
      if (frame.stream === StdStream.systemErr) throw new CriError("Internal", `error from Docker in the stream: ${frame.payload.toString("utf8")}`);
      (frame.stream === StdStream.stderr ? stderr : stdout).push(frame.payload);
    }
  };
  try {
    if (hijack.head.length > 0) route(hijack.head);
    for await (const chunk of hijack.socket) {
      // A Duplex without an encoding yields Buffers.
      if (Buffer.isBuffer(chunk)) route(chunk);
    }
  } finally {
    hijack.socket.destroy();
  }
}

async function raceEnd(copied: Promise<void>, timeoutMs: number, signal: AbortSignal): Promise<"done" | "timeout" | "canceled"> {
  const stop = new AbortController();
  const waits: Promise<"done" | "timeout" | "canceled">[] = [copied.then(() => "done" as const, () => "done" as const)];
  if (timeoutMs > 0) waits.push(sleep(timeoutMs, "timeout" as const, { signal: stop.signal }).catch(() => "done" as const));
  waits.push(
    new Promise((resolve) => {
      if (signal.aborted) resolve("canceled");
      signal.addEventListener("abort", () => { resolve("canceled"); }, { once: true, signal: stop.signal });
    }),
  );
  try {
    return await Promise.race(waits);
  } finally {
    stop.abort();
  }
}

/** Finds the exec's host pid (it may not be set for a moment after start) and kills its process tree. */
async function killExec(deps: ContainerDeps, execId: string, containerId: string, log: Logger): Promise<void> {
  const signal = AbortSignal.timeout(deps.cleanupTimeoutMs);
  try {
    let pid = 0;
    for (const delay of [0, 20, 50, 100, 250]) {
      if (delay > 0) await sleep(delay);
      const state = await deps.exec.inspect(execId, signal);
      if (!state.running && state.pid === 0) return;
      pid = state.pid;
      if (pid > 0) break;
    }
    if (pid === 0) {
      log.warn({ execId }, "Cannot kill the exec: Docker reports no pid for it");
      return;
    }
    const { killed, spared } = await deps.killProcessTree(pid, containerId);
    log.info({ execId, pid, killed, spared }, "Killed the exec's processes");
  } catch (err) {
    log.warn({ execId, reason: errorMessage(err) }, "Cannot kill the exec's processes; they may still run");
  }
}

async function waitForExit(deps: ContainerDeps, execId: string, log: Logger): Promise<number> {
  let last = { running: true, exitCode: 0 };
  for (const delay of exitPollDelaysMs) {
    if (delay > 0) await sleep(delay);
    // Not the caller's signal: the output is complete, and the exit code is all that is left to learn.
    last = await deps.exec.inspect(execId, AbortSignal.timeout(deps.cleanupTimeoutMs));
    if (!last.running) return last.exitCode;
  }
  log.warn({ execId }, "Exec output ended but Docker still reports the process running; reporting its exit code as is");
  return last.exitCode;
}
