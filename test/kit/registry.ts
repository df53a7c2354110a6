/**
 * A real Docker registry (Debian's `docker-registry`, the CNCF distribution server) on 127.0.0.1 with
 * a free port and its storage in a temp directory, optionally behind htpasswd basic auth. Docker
 * treats 127.0.0.0/8 registries as insecure (plain HTTP) without any daemon configuration, so
 * `127.0.0.1:<port>/name:tag` can be pushed to and pulled from at once.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const REGISTRY_BINARY = "/usr/bin/docker-registry";
const HTPASSWD_BINARY = "/usr/bin/htpasswd";

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface LocalRegistry {
  /** "127.0.0.1:<port>", the registry part of image references. */
  readonly host: string;
  readonly port: number;
  readonly credentials: RegistryCredentials | undefined;
  /** Everything the registry printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** Require these credentials (htpasswd with a bcrypt hash, the only kind the registry accepts). */
  readonly auth?: RegistryCredentials;
}

/** Why the registry cannot run here, or undefined when it can; tests skip with this reason. */
export async function registryUnavailable(options: RegistryOptions = {}): Promise<string | undefined> {
  try {
    await access(REGISTRY_BINARY);
  } catch {
    return `${REGISTRY_BINARY} is missing: apt-get install docker-registry`;
  }
  if (options.auth !== undefined) {
    try {
      await access(HTPASSWD_BINARY);
    } catch {
      return `${HTPASSWD_BINARY} is missing: apt-get install apache2-utils`;
    }
  }
  return undefined;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<LocalRegistry> {
  const missing = await registryUnavailable(options);
  if (missing !== undefined) throw new Error(`Cannot start a local registry: ${missing}`);
  const dir = await mkdtemp(join(tmpdir(), "docker-cri-registry-"));
  let htpasswdPath: string | undefined;
  if (options.auth !== undefined) {
    htpasswdPath = join(dir, "htpasswd");
    await writeFile(htpasswdPath, bcryptLine(options.auth), { mode: 0o600 });
  }
  // A port picked by the kernel can be taken again before the registry binds it: retry a few times.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const configPath = join(dir, "config.yml");
    await writeFile(configPath, registryConfig(dir, port, htpasswdPath));
    const proc = spawn(REGISTRY_BINARY, ["serve", configPath], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (c: string) => { out += c; });
    proc.stderr.setEncoding("utf8").on("data", (c: string) => { out += c; });
    const exited = new Promise<void>((resolve) => { proc.once("exit", () => { resolve(); }); });
    let alive = true;
    void exited.then(() => { alive = false; });
    const ready = await waitReady(port, () => alive);
    if (ready) {
      return {
        host: `127.0.0.1:${port}`,
        port,
        credentials: options.auth,
        output: () => out,
        stop: () => stopRegistry(proc, exited, dir),
      };
    }
    await stopRegistry(proc, exited, undefined);
    if (attempt >= 3) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`The local registry did not start on port ${port}:\n${out}`);
    }
  }
}

function registryConfig(dir: string, port: number, htpasswdPath: string | undefined): string {
  const auth = htpasswdPath === undefined ? "" : `auth:\n  htpasswd:\n    realm: docker-cri-test\n    path: ${htpasswdPath}\n`;
  return [
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "data")}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    // A fixed secret silences the registry's warning; it only signs upload state.
    "  secret: docker-cri-test",
    auth,
  ].join("\n");
}

/** "user:$2y$…" from `htpasswd -nbB`: the registry accepts bcrypt hashes only. */
function bcryptLine(auth: RegistryCredentials): string {
  const res = spawnSync(HTPASSWD_BINARY, ["-nbB", auth.username, auth.password], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`htpasswd failed: ${res.stderr}`);
  return `${res.stdout.trim()}\n`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const addr = server.address();
  await new Promise<void>((resolve) => { server.close(() => { resolve(); }); });
  if (addr === null || typeof addr === "string") throw new Error("no port");
  return addr.port;
}

/** Polls GET /v2/ until the registry answers (200, or 401 with auth), it exits, or 15 s pass. */
async function waitReady(port: number, alive: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && alive()) {
    const status = await new Promise<number>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path: "/v2/", timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", () => { resolve(0); });
      req.on("timeout", () => { req.destroy(); });
      req.end();
    });
    if (status === 200 || status === 401) return true;
    await sleep(50);
  }
  return false;
}

async function stopRegistry(proc: ChildProcess, exited: Promise<void>, dir: string | undefined): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}
