import { setImmediate, setTimeout as sleep } from "node:timers/promises";
import type { ExecApi } from "../../docker/index.js";
import { CriError, errorMessage, withContext } from "../../errors/index.js";
import type { Logger } from "../../logger/index.js";
import { killProcessTree } from "../container/kill-process-tree.js";
import { pumpHijackedStdio } from "./hijacked-stdio.js";
import type { StreamTarget } from "./streaming-deps.js";
import type { ExecResult, StreamingRuntime, TerminalSize } from "./streaming-runtime.js";

export interface DockerStreamingRuntimeDeps {
  readonly exec: Pick<ExecApi, "create" | "start" | "inspect" | "resize" | "attach" | "resizeContainer">;
  lookupContainer(id: string, signal: AbortSignal): Promise<StreamTarget>;
  lookupSandbox(id: string, signal: AbortSignal): Promise<StreamTarget>;
  /**
   * Bound on creating and starting an exec, and on killing what a departed client left running (the
   * client's signal governs neither): --runtime-request-timeout. Not shorter: Docker runs one
   * container's exec starts one at a time (about 0.1 s each here), so 100 sessions opened at once
   * in one container took 10 s to start on an idle Docker 20.10, and a fixed 10 s bound failed the
   * last of them under load.
   */
  readonly dockerTimeoutMs: number;
}

/**
 * Docker may report an exec as still running for a moment after its output ended; inspect again
 * after these pauses (about 10 s in all, like dockershim's five tries 2 s apart) before giving up.
 */
const exitPollDelaysMs = [0, 10, 25, 50, 100, 250, 500, 1000, 2000, 2000, 2000, 2000];
/** Inspections of an abandoned exec until its process shows up (about 1 s in all). */
const killPollDelaysMs = [0, 10, 25, 50, 100, 200, 300, 300];

/** Exec, attach and port-forward targets on Docker: the container side of the streaming server. */
export function dockerStreamingRuntime(deps: DockerStreamingRuntimeDeps): StreamingRuntime {
  const docker = deps.exec;
  return {
    async exec(spec, io) {
      if (clientGone(io.signal)) throw new CriError("Canceled", "The client went away before the command started");
      // Not the client's signal from here on: an exec Docker created but never started stays listed in
      // the container until the container is removed (Docker cannot delete one), and one whose start
      // was cut off may run anyway. Once created it is started, and killed below if the client left.
      const dockerSignal = AbortSignal.timeout(deps.dockerTimeoutMs);
      const execId = await docker
        .create(spec.containerId, { cmd: spec.cmd, tty: spec.tty, stdin: spec.stdin, stdout: spec.stdout, stderr: spec.stderr && !spec.tty }, dockerSignal)
        .catch((err: unknown) => { throw withContext(err, `Cannot exec in container "${spec.containerId}"`); });
      const hijack = await docker.start(execId, spec.tty, dockerSignal).catch((err: unknown) => { throw withContext(err, `Cannot start exec "${execId}"`); });
      // Docker rejects a resize before the exec has started; it has once `start` answered 101.
      await startResizing(io.resize, (size) => docker.resize(execId, size), io.log);
      await pumpHijackedStdio(hijack, io, spec.tty);
      if (clientGone(io.signal)) {
        await killAbandonedExec(deps, execId, spec.containerId, io.log);
        throw new CriError("Canceled", "The client went away before the command ended");
      }
      return waitForExit(docker, execId, io.log);
    },

    async attach(spec, io) {
      const target = await deps.lookupContainer(spec.containerId, io.signal);
      if (!target.running) throw new CriError("FailedPrecondition", `Cannot attach to container "${spec.containerId}": it is not running`);
      const hijack = await docker
        .attach(target.id, { stdin: spec.stdin, stdout: spec.stdout, stderr: spec.stderr && !spec.tty }, io.signal)
        .catch((err: unknown) => { throw withContext(err, `Cannot attach to container "${spec.containerId}"`); });
      await startResizing(io.resize, (size) => docker.resizeContainer(target.id, size), io.log);
      // The container's own TTY setting decides the framing Docker uses, whatever the request said.
      await pumpHijackedStdio(hijack, io, target.tty);
    },

    async portForwardNetns(podSandboxId, signal) {
      const sandbox = await deps.lookupSandbox(podSandboxId, signal);
      if (!sandbox.running || sandbox.pid <= 0) {
        throw new CriError("FailedPrecondition", `Cannot forward ports of pod sandbox "${podSandboxId}": its infra container is not running`);
      }
      return `/proc/${sandbox.pid}/ns/net`;
    },
  };
}

/**
 * Applies terminal sizes as the client sends them. A size already sent when this is called (the
 * client sends its initial size right after opening its streams) is applied before this returns,
 * so the first command typed runs in a terminal of the right size; later sizes follow in the
 * background until the session ends.
 */
async function startResizing(sizes: AsyncIterable<TerminalSize> | undefined, apply: (size: TerminalSize) => Promise<void>, log: Logger): Promise<void> {
  if (sizes === undefined) return;
  const applySafely = async (size: TerminalSize): Promise<void> => {
    // A zero dimension would make the terminal unusable; the kubelet skips those too.
    if (size.width < 1 || size.height < 1) return;
    try {
      await apply(size);
    } catch (err) {
      log.debug({ err: errorMessage(err), width: size.width, height: size.height }, "Terminal resize failed");
    }
  };
  const it = sizes[Symbol.asyncIterator]();
  let next = it.next();
  const queued = await Promise.race([next, setImmediate(undefined)]);
  if (queued !== undefined) {
    if (queued.done === true) return;
    await applySafely(queued.value);
    next = it.next();
  }
  void (async () => {
    for (let r = await next; r.done !== true; r = await it.next()) await applySafely(r.value);
  })();
}

/**
 * Docker keeps an exec running when its connection closes (it has no endpoint to stop one): a client
 * that went away — disconnected, cut by the idle timeout — would leave its command running in the
 * container for good, one more with every retry (found by test/chaos/streaming-abuse). As containerd
 * does when the stream's context ends, the command is killed, with the processes it started, from the
 * host's /proc (see killProcessTree). Best effort: a failure is logged, and cleanup has its own deadline.
 */
async function killAbandonedExec(deps: DockerStreamingRuntimeDeps, execId: string, containerId: string, log: Logger): Promise<void> {
  const signal = AbortSignal.timeout(deps.dockerTimeoutMs);
  try {
    // Docker answers the start before its process runs: right after it, an exec reads as not running
    // with no pid, like one that already ended. It gets a moment to show up.
    let pid = 0;
    for (const delay of killPollDelaysMs) {
      if (delay > 0) await sleep(delay);
      const state = await deps.exec.inspect(execId, signal);
      if (state.running && state.pid > 0) {
        pid = state.pid;
        break;
      }
    }
    if (pid === 0) return;
    const container = await deps.lookupContainer(containerId, signal);
    if (!container.running) return;
    const { killed, spared } = await killProcessTree(pid, container.id);
    log.info({ execId, pid, killed, spared }, "The client went away: killed the exec's processes");
  } catch (err) {
    log.warn({ execId, reason: errorMessage(err) }, "The client went away, and the exec's processes could not be killed; they may still run");
  }
}

async function waitForExit(docker: Pick<ExecApi, "inspect">, execId: string, log: Logger): Promise<ExecResult> {
  let last = { running: true, exitCode: 0 };
  for (const delay of exitPollDelaysMs) {
    if (delay > 0) await sleep(delay);
    // Not the client's signal: it may be gone by now, and the exit code is still worth knowing for the log.
    last = await docker.inspect(execId, AbortSignal.timeout(10_000));
    if (!last.running) return { exitCode: last.exitCode };
  }
  log.warn({ execId }, "Exec output ended but Docker still reports the process running; reporting success");
  return { exitCode: last.exitCode };
}

/** Read through a call: the signal changes while we await, which a property check's narrowing would hide. */
function clientGone(signal: AbortSignal): boolean {
  return signal.aborted;
}
