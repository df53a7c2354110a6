/**
 * Exec/attach the way client-go's SPDY executor does it (streaming.md §4): open `error`, then
 * `stdin`, `stdout`, `stderr` (not with a TTY), then `resize` (v3+ with a TTY), each after the
 * previous one's reply; read stdout/stderr and the error stream to EOF.
 */
import { spdyUpgrade, type ClientStream, type SpdyClient } from "./spdy-client.js";

export const allRemoteCommandProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"];

export interface RemoteCommandOptions {
  readonly stdin?: boolean;
  readonly stdout?: boolean;
  readonly stderr?: boolean;
  readonly tty?: boolean;
  readonly protocols?: readonly string[];
}

export interface RemoteCommand {
  readonly client: SpdyClient;
  readonly protocol: string;
  readonly error: ClientStream;
  readonly stdin?: ClientStream;
  readonly stdout?: ClientStream;
  readonly stderr?: ClientStream;
  readonly resize?: ClientStream;
  /** Waits for the error stream's EOF (the end of the command) and the output streams'. */
  done(timeoutMs?: number): Promise<{ stdout: Buffer; stderr: Buffer; error: string }>;
}

export async function openRemoteCommand(url: string, opts: RemoteCommandOptions): Promise<RemoteCommand> {
  const up = await spdyUpgrade(url, opts.protocols ?? allRemoteCommandProtocols);
  if (up.status !== 101 || up.client === undefined) throw new Error(`upgrade failed: ${up.status} ${up.body}`);
  const protocol = String(up.headers["x-stream-protocol-version"] ?? "");
  const client = up.client;
  const error = await client.openStream({ streamType: "error" });
  const stdin = opts.stdin === true ? await client.openStream({ streamType: "stdin" }) : undefined;
  const stdout = opts.stdout === true ? await client.openStream({ streamType: "stdout" }) : undefined;
  const stderr = opts.stderr === true && opts.tty !== true ? await client.openStream({ streamType: "stderr" }) : undefined;
  const withResize = opts.tty === true && /^v[345]\./.test(protocol);
  const resize = withResize ? await client.openStream({ streamType: "resize" }) : undefined;
  return {
    client,
    protocol,
    error,
    ...(stdin === undefined ? {} : { stdin }),
    ...(stdout === undefined ? {} : { stdout }),
    ...(stderr === undefined ? {} : { stderr }),
    ...(resize === undefined ? {} : { resize }),
    async done(timeoutMs = 60_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => { reject(new Error(`command did not finish within ${timeoutMs} ms`)); }, timeoutMs);
      });
      try {
        await Promise.race([Promise.all([error.ended, stdout?.ended, stderr?.ended]), timeout]);
      } finally {
        clearTimeout(timer);
      }
      return { stdout: stdout?.data() ?? Buffer.alloc(0), stderr: stderr?.data() ?? Buffer.alloc(0), error: error.text() };
    },
  };
}

/** The fields of a metav1.Status the client looks at. */
export interface StatusDoc {
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { reason?: string; message?: string }[] };
}

export function parseStatus(text: string): StatusDoc {
  const v: StatusDoc | null = JSON.parse(text) as StatusDoc | null; // the fields are checked by each test's assertions
  if (typeof v !== "object" || v === null) throw new Error(`not a Status: ${text}`);
  return v;
}

/** The exit code as client-go derives it from a NonZeroExitCode Status. */
export function exitCodeOf(status: StatusDoc): number | undefined {
  if (status.status !== "Failure" || status.reason !== "NonZeroExitCode") return undefined;
  const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
  return cause?.message === undefined ? undefined : Number(cause.message);
}
