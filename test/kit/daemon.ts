/**
 * Runs docker-cri as a real child process (from source, bundled as daemon-entry.ts explains) on a
 * temp socket and root directory, the way an operator would start it; tests talk to it over the socket.
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { access, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { criClient, type CriClient } from "./cri-client.js";
import { daemonNodeArgs } from "./daemon-entry.js";
import { DEFAULT_DOCKER_SOCKET } from "./docker-api.js";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface DaemonOptions {
  /**
   * Extra flags; the socket, root directory, a free metrics port and the tests' Docker endpoint
   * (DOCKER_CRI_TEST_DOCKER_SOCKET, see docker-api.ts) are added unless given here.
   */
  args?: string[];
  env?: Record<string, string>;
  /** Replaces the command (e.g. to run through `sh -c` for systemd's LISTEN_PID); receives node + args. */
  wrap?: (node: string, args: string[]) => { command: string; args: string[] };
  stdio?: StdioOptions;
  /** What to wait for: the socket file (default) or nothing. */
  waitFor?: "socket" | "none";
  /**
   * What runs: the current source, bundled (default; see daemon-entry.ts), or `dist/src/main.js` as
   * `npm run build` left it, the way an operator runs it (the kubelet bench's footprint figures). With
   * "dist", a build older than any source file fails the start, so no figure comes from stale code.
   */
  entry?: "source" | "dist";
  /** Node's own flags for the daemon's process, before the entry (`--max-semi-space-size=1`, `--cpu-prof`). */
  nodeFlags?: readonly string[];
}

/** `dist/src/main.js`, after checking that every source file's compiled file is at least as new. */
async function distEntry(): Promise<string> {
  const src = join(repoRoot, "src");
  const stale: string[] = [];
  for (const e of await readdir(src, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith(".ts") || e.name.endsWith(".test.ts") || e.name.endsWith(".d.ts")) continue;
    const file = join(e.parentPath, e.name);
    const built = join(repoRoot, "dist", relative(repoRoot, file)).replace(/\.ts$/, ".js");
    const [a, b] = await Promise.all([stat(file), stat(built).catch(() => undefined)]);
    if (b === undefined || b.mtimeMs < a.mtimeMs) stale.push(relative(repoRoot, file));
  }
  if (stale.length > 0) throw new Error(`dist/ is older than ${stale.length} source file(s) (${stale.slice(0, 3).join(", ")}${stale.length > 3 ? ", …" : ""}): run npm run build`);
  return join(repoRoot, "dist", "src", "main.js");
}

export interface Daemon {
  readonly proc: ChildProcess;
  readonly socketPath: string;
  readonly rootDir: string;
  /** Everything the daemon wrote to stderr so far. */
  stderr(): string;
  client(): CriClient;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Removes the temp directory; call after stop. */
  cleanup(): Promise<void>;
}

function hasFlag(args: readonly string[], flag: string): boolean {
  return args.some((a) => a === flag || a.startsWith(`${flag}=`));
}

export async function startDaemon(opts: DaemonOptions = {}): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), "docker-cri-test-"));
  const args = [...(opts.args ?? [])];
  const given = args.find((a) => a.startsWith("--container-runtime-endpoint=unix://"));
  const socketPath = given === undefined ? join(dir, "cri.sock") : given.slice("--container-runtime-endpoint=unix://".length);
  const givenRoot = args.find((a) => a.startsWith("--cri-dockerd-root-directory="));
  const rootDir = givenRoot === undefined ? join(dir, "root") : givenRoot.slice("--cri-dockerd-root-directory=".length);
  if (!hasFlag(args, "--container-runtime-endpoint")) args.push(`--container-runtime-endpoint=unix://${socketPath}`);
  if (!hasFlag(args, "--cri-dockerd-root-directory")) args.push(`--cri-dockerd-root-directory=${rootDir}`);
  if (!hasFlag(args, "--metrics-bind-address")) args.push("--metrics-bind-address=127.0.0.1:0");
  if (!hasFlag(args, "--network-plugin")) args.push("--network-plugin=");
  if (!hasFlag(args, "--docker-endpoint")) args.push(`--docker-endpoint=unix://${DEFAULT_DOCKER_SOCKET}`);
  const nodeArgs = [...(opts.nodeFlags ?? []), ...(opts.entry === "dist" ? [await distEntry()] : await daemonNodeArgs()), ...args];
  const cmd = opts.wrap ? opts.wrap(process.execPath, nodeArgs) : { command: process.execPath, args: nodeArgs };
  const proc = spawn(cmd.command, cmd.args, {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env },
    stdio: opts.stdio ?? ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  proc.stderr?.setEncoding("utf8");
  proc.stderr?.on("data", (chunk: string) => { stderr += chunk; });
  const exited = new Promise<number | null>((res) => { proc.once("exit", (code) => { res(code); }); });
  let exitCode: number | null | undefined;
  void exited.then((c) => { exitCode = c; });
  const clients: CriClient[] = [];
  const daemon: Daemon = {
    proc,
    socketPath,
    rootDir,
    stderr: () => stderr,
    client() {
      const c = criClient(socketPath);
      clients.push(c);
      return c;
    },
    async stop(signal = "SIGTERM") {
      for (const c of clients) c.close();
      if (exitCode === undefined) proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    exited,
    async cleanup() {
      if (exitCode === undefined) {
        proc.kill("SIGKILL");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  if ((opts.waitFor ?? "socket") === "socket") {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exitCode !== undefined) {
        await daemon.cleanup();
        throw new Error(`docker-cri exited with ${exitCode} before serving:\n${stderr}`);
      }
      try {
        await access(socketPath);
        break;
      } catch {
        if (Date.now() > deadline) {
          await daemon.cleanup();
          throw new Error(`docker-cri did not create ${socketPath} within 30 s:\n${stderr}`);
        }
        await sleep(50);
      }
    }
  }
  return daemon;
}

/** Runs docker-cri expecting it to fail start-up; returns its exit code and stderr. */
export async function runExpectingFailure(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; lastLine: string }> {
  const d = await startDaemon({ args, env, waitFor: "none" });
  const timer = setTimeout(() => d.proc.kill("SIGKILL"), 30_000);
  const code = await d.exited;
  clearTimeout(timer);
  await d.cleanup();
  const lines = d.stderr().trim().split("\n");
  return { code, stderr: d.stderr(), lastLine: lines[lines.length - 1] ?? "" };
}

/** The metrics endpoint's address, read from the daemon's "Serving metrics" log line. */
export function metricsAddressOf(daemon: Daemon): string | undefined {
  for (const line of daemon.stderr().split("\n")) {
    if (!line.includes("Serving metrics")) continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === "object" && parsed !== null) {
        const addr: unknown = Reflect.get(parsed, "address");
        if (typeof addr === "string") return addr;
      }
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}
