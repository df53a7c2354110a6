import type { Readable, Writable } from "node:stream";
import type { Logger } from "../../logger/index.js";

/** What an Exec call asked for; stored under the token until the client connects. */
export interface ExecSpec {
  readonly containerId: string;
  readonly cmd: readonly string[];
  readonly tty: boolean;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

/** What an Attach call asked for. */
export interface AttachSpec {
  readonly containerId: string;
  readonly tty: boolean;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

/** What a PortForward call asked for; `ports` matter only to WebSocket clients (SPDY names them per stream). */
export interface PortForwardSpec {
  readonly podSandboxId: string;
  readonly ports: readonly number[];
}

export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

/**
 * The client's side of one exec or attach, as the streaming server hands it over. Absent streams
 * were not requested. The runtime writes output but does not end stdout/stderr (the protocol layer
 * does, after the last byte); `stdin` ends when the client closes it.
 */
export interface StreamIo {
  readonly stdin: Readable | undefined;
  readonly stdout: Writable | undefined;
  readonly stderr: Writable | undefined;
  /** Terminal sizes as the client sends them (TTY only); ends with the session. */
  readonly resize: AsyncIterable<TerminalSize> | undefined;
  /** Aborted when the client goes away or the session is torn down. */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export interface ExecResult {
  readonly exitCode: number;
}

/**
 * The container side of streaming, implemented on Docker by this package and called by the
 * streaming server (which knows the wire protocols but nothing of Docker). Errors are CriErrors;
 * the streaming server reports them on the client's error stream.
 */
export interface StreamingRuntime {
  /** Runs the command; resolves once its output is drained and it has exited. */
  exec(spec: ExecSpec, io: StreamIo): Promise<ExecResult>;
  /** Attaches to the container's main process until its output ends or the client goes away. */
  attach(spec: AttachSpec, io: StreamIo): Promise<void>;
  /** The network namespace to connect into for the sandbox's ports, e.g. "/proc/1234/ns/net". */
  portForwardNetns(podSandboxId: string, signal: AbortSignal): Promise<string>;
}

/**
 * Hands out one-time URLs on the streaming server (implemented there). Throws ResourceExhausted
 * when too many are outstanding.
 */
export interface StreamingUrls {
  exec(spec: ExecSpec): string;
  attach(spec: AttachSpec): string;
  portForward(spec: PortForwardSpec): string;
}
