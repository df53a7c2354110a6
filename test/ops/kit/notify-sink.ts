/**
 * Plays systemd's side of sd_notify in tests: a datagram socket that records each message with the
 * pid the kernel says sent it (SO_PASSCRED), the way systemd checks NotifyAccess=main. Node has no
 * unix datagram sockets, so a small C program (notify-sink.c, compiled once per run) does the reading.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const source = fileURLToPath(new URL("notify-sink.c", import.meta.url));

export interface NotifyMessage {
  readonly pid: number;
  readonly text: string;
}

export interface NotifySink {
  /** Pass as NOTIFY_SOCKET. */
  readonly path: string;
  readonly messages: readonly NotifyMessage[];
  /** Resolves with the first message whose text matches, waiting up to `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<NotifyMessage>;
  close(): Promise<void>;
}

let compiled: Promise<string> | undefined;

async function compile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "docker-cri-notify-sink-"));
  const out = join(dir, "notify-sink");
  try {
    await execFileAsync("cc", ["-O1", "-Wall", "-Wextra", "-Werror", "-o", out, source]);
  } catch (err) {
    throw new Error(`Cannot compile ${source} (install gcc and libc6-dev): ${String(err)}`, { cause: err });
  }
  // Exit handlers run synchronously: an async rm would never happen.
  process.once("exit", () => {
    rmSync(dir, { recursive: true, force: true });
  });
  return out;
}

function unescapeLine(text: string): string {
  return text.replace(/\\(\\|n)/g, (_m, c: string) => (c === "n" ? "\n" : "\\"));
}

export async function startNotifySink(): Promise<NotifySink> {
  compiled ??= compile();
  const binary = await compiled;
  const dir = await mkdtemp(join(tmpdir(), "docker-cri-notify-"));
  const path = join(dir, "notify.sock");
  const proc: ChildProcess = spawn(binary, [path], { stdio: ["pipe", "pipe", "inherit"] });
  const messages: NotifyMessage[] = [];
  const waiters = new Set<() => void>();
  let buffered = "";
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => { ready = resolve; });
  proc.stdout?.setEncoding("utf8");
  proc.stdout?.on("data", (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line === "ready") {
        ready();
        continue;
      }
      const space = line.indexOf(" ");
      messages.push({ pid: Number(line.slice(0, space)), text: unescapeLine(line.slice(space + 1)) });
      for (const w of waiters) w();
    }
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => { resolve(); }));
  await Promise.race([isReady, exited.then(() => { throw new Error("notify-sink exited before binding its socket"); })]);
  return {
    path,
    messages,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = messages.find((m) => pattern.test(m.text));
          if (found === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no notification matching ${String(pattern)} within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      proc.stdin?.end();
      proc.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
