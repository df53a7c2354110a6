/**
 * Host networking for the tests that give pods a network (network, e2e, chaos, soak): private
 * network namespaces (`docker-cri-test-<random>`), unique bridge names and subnets, commands run
 * inside a namespace, and the leftovers of real CNI plugins (host-local allocation files) to assert
 * on. Everything a test creates carries its own random id, and cleanup removes only that.
 */
import { execFile } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { access, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Debian's containernetworking-plugins. */
export const cniBinDir = "/usr/lib/cni";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; never throws for a non-zero exit (the result says it). */
export function run(file: string, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, [...args], { timeout: timeoutMs, encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? Number((err as { code?: unknown }).code) : 1; // execFile's error has the exit code
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a command and throws, with its stderr, unless it exits 0. */
export async function mustRun(file: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  const r = await run(file, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${file} ${args.join(" ")} exited with ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

export function randomId(): string {
  return randomBytes(3).toString("hex");
}

/** A private /24 and /64 for one test file: 10.99.<n>.0/24 and fd99:<n>::/64. */
export function testSubnets(): { v4: string; v6: string; octet: number } {
  const octet = randomInt(1, 255);
  return { v4: `10.99.${octet}.0/24`, v6: `fd99:${octet.toString(16)}::/64`, octet };
}

export interface Netns {
  readonly name: string;
  /** /var/run/netns/<name>, what CNI_NETNS takes. */
  readonly path: string;
}

export async function addNetns(): Promise<Netns> {
  const name = `docker-cri-test-${randomId()}`;
  await mustRun("ip", ["netns", "add", name]);
  return { name, path: `/var/run/netns/${name}` };
}

export async function deleteNetns(ns: Netns | undefined): Promise<void> {
  if (ns !== undefined) await run("ip", ["netns", "delete", ns.name]);
}

export function inNetns(ns: Netns, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  const [file, ...rest] = args;
  return run("ip", ["netns", "exec", ns.name, file ?? "true", ...rest], timeoutMs);
}

export async function deleteLink(name: string): Promise<void> {
  await run("ip", ["link", "delete", name]);
}

export async function linkExists(name: string): Promise<boolean> {
  return (await run("ip", ["link", "show", name])).code === 0;
}

/** The addresses host-local has handed out in `dataDir/<network>` (one file per address). */
export async function allocatedIps(dataDir: string, network: string): Promise<string[]> {
  try {
    return (await readdir(join(dataDir, network))).filter((f) => !f.startsWith("last_reserved_ip") && f !== "lock").sort();
  } catch {
    return [];
  }
}

/** Whether Debian's CNI plugins are installed; tests skip, saying so, when they are not. */
export async function haveCniPlugins(): Promise<boolean> {
  try {
    for (const p of ["bridge", "host-local", "loopback", "portmap", "firewall"]) await access(join(cniBinDir, p));
    return true;
  } catch {
    return false;
  }
}

export const skipWithoutPlugins = "needs Debian's containernetworking-plugins in /usr/lib/cni (apt-get install containernetworking-plugins)";

/** Connects to host:port and returns what the server sent before closing. */
export async function readFrom(host: string, port: number, timeoutMs = 5_000): Promise<string> {
  const { createConnection } = await import("node:net");
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let data = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms (got "${data}")`));
    }, timeoutMs);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => { data += chunk; });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.end();
  });
}

/** The directories of a test node whose pods use real CNI (see bridgeNetworkNode). */
export interface CniNodeDirs {
  /** docker-cri's --cri-dockerd-root-directory. */
  readonly rootDir: string;
  readonly confDir: string;
  readonly cacheDir: string;
  /** host-local's data directory (allocatedIps reads it). */
  readonly ipamDir: string;
  /** The pods' log directories go below it. */
  readonly logDirectory: string;
}

/**
 * Lays out a node under `dir` for docker-cri with `--network-plugin=cni`: one conflist in confDir for
 * Debian's bridge plugin on `bridge` with host-local addresses from `subnet`, and the other directories
 * empty. The chaos crash test and the soak share it.
 */
export async function bridgeNetworkNode(dir: string, opts: { readonly network: string; readonly bridge: string; readonly subnet: string }): Promise<CniNodeDirs> {
  const dirs: CniNodeDirs = { rootDir: join(dir, "root"), confDir: join(dir, "net.d"), cacheDir: join(dir, "cni-cache"), ipamDir: join(dir, "ipam"), logDirectory: join(dir, "pod-logs") };
  await Promise.all([dirs.confDir, dirs.ipamDir, dirs.logDirectory].map((d) => mkdir(d, { recursive: true })));
  await writeFile(
    join(dirs.confDir, `10-${opts.network}.conflist`),
    JSON.stringify({
      cniVersion: "1.0.0",
      name: opts.network,
      plugins: [{ type: "bridge", bridge: opts.bridge, isGateway: true, ipam: { type: "host-local", dataDir: dirs.ipamDir, ranges: [[{ subnet: opts.subnet }]], routes: [{ dst: "0.0.0.0/0" }] } }],
    }),
  );
  return dirs;
}
