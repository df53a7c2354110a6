import { JsonObjectReader } from "./parse.js";
import type { DockerHijackResponse, DockerTransport } from "./transport.js";
import { call, type DockerClientOptions } from "./request-options.js";

/** What to attach of a process's stdio. */
export interface StdioAttach {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

export interface ExecCreateOptions extends StdioAttach {
  readonly cmd: readonly string[];
  readonly tty: boolean;
}

/** `GET /exec/{id}/json`, narrowed to what the streaming code needs. */
export interface ExecInspect {
  readonly running: boolean;
  /** Meaningful once `running` is false. */
  readonly exitCode: number;
  readonly pid: number;
}

/**
 * The few fields of `GET /containers/{id}/json` that exec, attach and port forward need. Deliberately
 * small: the containers family owns the full inspect.
 */
export interface ContainerRuntimeInfo {
  /** The full id, whatever prefix or name was asked for. */
  readonly id: string;
  readonly running: boolean;
  /** The init process on the host; 0 when not running. */
  readonly pid: number;
  /** Created with a TTY: attach then carries raw bytes instead of the multiplexed stream. */
  readonly tty: boolean;
  readonly openStdin: boolean;
}

export interface TtySize {
  readonly width: number;
  readonly height: number;
}

/** Docker exec and attach endpoints (`/containers/{id}/exec`, `/exec/*`, `/containers/{id}/attach`, resize). */
export class ExecApi {
  constructor(
    readonly transport: DockerTransport,
    readonly options: DockerClientOptions,
  ) {}

  /** `POST /containers/{id}/exec`; returns the exec id. */
  async create(containerId: string, opts: ExecCreateOptions, signal?: AbortSignal): Promise<string> {
    const res = await this.transport.request(
      call("create_exec", "POST", `/containers/${encodeURIComponent(containerId)}/exec`, signal, {
        body: {
          AttachStdin: opts.stdin,
          AttachStdout: opts.stdout,
          AttachStderr: opts.stderr,
          Tty: opts.tty,
          Cmd: opts.cmd,
        },
      }),
    );
    return JsonObjectReader.of(res.body, 'Docker "create_exec" response').string("Id");
  }

  /**
   * `POST /exec/{id}/start` as a hijacked connection: after `101` the socket carries stdin one way and
   * the output the other (multiplexed without TTY, raw with TTY). Docker starts the process only
   * after the upgrade, so a resize is valid once this resolves.
   */
  start(execId: string, tty: boolean, signal?: AbortSignal): Promise<DockerHijackResponse> {
    return this.transport.hijack(call("start_exec", "POST", `/exec/${encodeURIComponent(execId)}/start`, signal, { body: { Detach: false, Tty: tty } }));
  }

  async inspect(execId: string, signal?: AbortSignal): Promise<ExecInspect> {
    const res = await this.transport.request(call("inspect_exec", "GET", `/exec/${encodeURIComponent(execId)}/json`, signal));
    const r = JsonObjectReader.of(res.body, 'Docker "inspect_exec" response');
    return { running: r.optBoolean("Running"), exitCode: r.optNumber("ExitCode"), pid: r.optNumber("Pid") };
  }

  /** `POST /exec/{id}/resize`; Docker itself waits (up to 10 s) for a just-started exec to be ready. */
  async resize(execId: string, size: TtySize, signal?: AbortSignal): Promise<void> {
    await this.transport.request(call("resize_exec", "POST", `/exec/${encodeURIComponent(execId)}/resize`, signal, { query: { h: size.height, w: size.width } }));
  }

  /** `POST /containers/{id}/attach?stream=1` as a hijacked connection; no past logs, only what comes next. */
  attach(containerId: string, opts: StdioAttach, signal?: AbortSignal): Promise<DockerHijackResponse> {
    return this.transport.hijack(
      call("attach", "POST", `/containers/${encodeURIComponent(containerId)}/attach`, signal, {
        query: { stream: true, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr },
      }),
    );
  }

  /** `POST /containers/{id}/resize`: the TTY of the container's main process. */
  async resizeContainer(containerId: string, size: TtySize, signal?: AbortSignal): Promise<void> {
    await this.transport.request(
      call("resize_container", "POST", `/containers/${encodeURIComponent(containerId)}/resize`, signal, { query: { h: size.height, w: size.width } }),
    );
  }

  /** `GET /containers/{id}/json`, only the state and stdio settings; 404 is NotFound. */
  async containerRuntimeInfo(containerId: string, signal?: AbortSignal): Promise<ContainerRuntimeInfo> {
    const res = await this.transport.request(call("inspect_container", "GET", `/containers/${encodeURIComponent(containerId)}/json`, signal));
    const r = JsonObjectReader.of(res.body, 'Docker "inspect_container" response');
    const state = r.optObject("State");
    const config = r.optObject("Config");
    return {
      id: r.string("Id"),
      running: state?.optBoolean("Running") ?? false,
      pid: state?.optNumber("Pid") ?? 0,
      tty: config?.optBoolean("Tty") ?? false,
      openStdin: config?.optBoolean("OpenStdin") ?? false,
    };
  }
}
