/**
 * `npm run test:engines [suite names or file substrings…]`: the end-to-end suites of engines.ts
 * against each Docker Engine of engines.ts, one after the other, then a table of the results.
 *
 * The system engine (20.10 on /var/run/docker.sock) is used as it runs. Every other one is a private
 * dockerd (test/kit/private-dockerd.ts) started from the binaries scripts/engines.sh unpacked (fetched
 * first when missing), with the classic or the containerd image store, and disposed after its run.
 * The suites find it through DOCKER_CRI_TEST_DOCKER_SOCKET (and DOCKER_HOST, for anything that runs
 * the docker CLI); they build the test images on it themselves (test/kit/images.ts).
 *
 * Each engine's run is one `node --test` process: spec reporter on stdout, TAP to
 * $TMPDIR/docker-cri-test-engines/<engine>.tap, which gives the counts; the private dockerd's own log
 * is kept beside it. That directory is replaced at every run.
 *
 * Environment: DOCKER_CRI_ENGINES (comma-separated engine ids, default all), DOCKER_CRI_ENGINES_DIR
 * (where scripts/engines.sh unpacked them), DOCKER_CRI_ENGINE_TIMEOUT_MIN (per engine, default 30),
 * DOCKER_CRI_ENGINES_REPORT_DIR (instead of $TMPDIR/docker-cri-test-engines).
 * SIGINT/SIGTERM stop the running tests (their process group), dispose the private dockerd and end
 * the run with the table so far. Exits 1 when a test failed or an engine could not be run.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../kit/daemon.js";
import { dockerJson } from "../kit/docker-api.js";
import { createPrivateDockerd, describeEngine, type EngineDescription, type PrivateDockerd } from "../kit/private-dockerd.js";
import { selectEngines, suiteFiles, type EngineSpec } from "./engines.js";
import { parseTap, type TapCounts, type TapFailure } from "./tap-summary.js";

const SYSTEM_SOCKET = "/var/run/docker.sock";
const enginesDir = process.env.DOCKER_CRI_ENGINES_DIR ?? "/var/cache/docker-cri/engines";
const reportDir = process.env.DOCKER_CRI_ENGINES_REPORT_DIR ?? join(tmpdir(), "docker-cri-test-engines");
const engineTimeoutMs = Number(process.env.DOCKER_CRI_ENGINE_TIMEOUT_MIN ?? "30") * 60_000;

interface Row {
  readonly engine: EngineSpec;
  readonly description?: EngineDescription;
  readonly counts?: TapCounts;
  readonly failures: readonly TapFailure[];
  /** Why the engine could not be run, or its tests ended without counts. */
  readonly problem?: string;
  readonly seconds: number;
}

/** What is running now, for the signal handler. */
const current: { tests: number | undefined; dockerd: PrivateDockerd | undefined } = { tests: undefined, dockerd: undefined };
let interrupted = false;

function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) {
    log(`${signal} again: still cleaning up`);
    return;
  }
  interrupted = true;
  log(`${signal}: stopping the tests and cleaning up`);
  const pid = current.tests;
  if (pid !== undefined) {
    killGroup(pid, "SIGTERM");
    setTimeout(() => { killGroup(pid, "SIGKILL"); }, 15_000).unref();
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

function log(message: string): void {
  process.stdout.write(`[test:engines ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function binDir(engine: EngineSpec): string | undefined {
  return engine.suite === undefined ? undefined : join(enginesDir, engine.suite, "bin");
}

/** Runs the suites in one `node --test` process against `socketPath`; resolves with its exit code. */
async function runTests(files: readonly string[], socketPath: string, tapPath: string): Promise<number | null> {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_CRI_TEST_DOCKER_SOCKET: socketPath, DOCKER_HOST: `unix://${socketPath}` };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=tap", `--test-reporter-destination=${tapPath}`, ...files],
    // Its own process group, so that a stop takes the test files' processes and their docker-cri
    // daemons too.
    { cwd: repoRoot, env, stdio: ["ignore", "inherit", "inherit"], detached: true },
  );
  current.tests = child.pid;
  const timer = setTimeout(() => {
    log(`the tests did not end within ${engineTimeoutMs / 60_000} min: stopping them`);
    if (child.pid !== undefined) killGroup(child.pid, "SIGTERM");
    setTimeout(() => { if (child.pid !== undefined) killGroup(child.pid, "SIGKILL"); }, 15_000).unref();
  }, engineTimeoutMs);
  try {
    return await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code) => { resolve(code); });
    });
  } finally {
    clearTimeout(timer);
    current.tests = undefined;
    // Whatever of the group is left (a docker-cri a killed test file did not stop).
    if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
  }
}

async function runEngine(engine: EngineSpec, files: readonly string[]): Promise<Row> {
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 1000);
  let dockerd: PrivateDockerd | undefined;
  let description: EngineDescription | undefined;
  try {
    let socketPath = SYSTEM_SOCKET;
    const bin = binDir(engine);
    if (bin !== undefined) {
      dockerd = await createPrivateDockerd({ binDir: bin, containerdStore: engine.containerdStore });
      current.dockerd = dockerd;
      await dockerd.start();
      socketPath = dockerd.socketPath;
      description = await dockerd.describe();
    } else {
      description = describeEngine(await dockerJson({ method: "GET", path: "/version", socketPath }), await dockerJson({ method: "GET", path: "/info", socketPath }));
    }
    const wanted = engine.containerdStore ? "containerd" : "classic";
    if (description.imageStore !== wanted) throw new Error(`Docker ${description.version} runs the ${description.imageStore} image store, not the ${wanted} one asked for`);
    log(`${engine.id}: Docker ${description.version} (API ${description.apiVersion}, ${description.imageStore} image store) on ${socketPath}: ${files.length} test file${files.length === 1 ? "" : "s"}`);
    const tapPath = join(reportDir, `${engine.id}.tap`);
    const code = await runTests(files, socketPath, tapPath);
    const summary = parseTap(await readFile(tapPath, "utf8").catch(() => ""));
    const failures = summary.failures.map((f) => ({ ...f, path: f.path.map((p) => p.startsWith(`${repoRoot}/`) ? p.slice(repoRoot.length + 1) : p) }));
    const problem = summary.counts === undefined ? `the tests ended (exit ${code}) without a summary${interrupted ? ": interrupted" : ""}` : undefined;
    return { engine, description, ...(summary.counts === undefined ? {} : { counts: summary.counts }), failures, ...(problem === undefined ? {} : { problem }), seconds: seconds() };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { engine, ...(description === undefined ? {} : { description }), failures: [], problem: message, seconds: seconds() };
  } finally {
    if (dockerd !== undefined) {
      await copyFile(join(dockerd.dir, "dockerd.log"), join(reportDir, `${engine.id}.dockerd.log`)).catch(() => undefined);
      await dockerd.dispose();
      current.dockerd = undefined;
    }
  }
}

function table(rows: readonly Row[]): string {
  const header = ["engine", "Docker", "API", "image store", "passed", "failed", "skipped", "time"];
  const body = rows.map((r) => [
    r.engine.id,
    r.description?.version ?? "-",
    r.description?.apiVersion ?? "-",
    r.description?.imageStore ?? (r.engine.containerdStore ? "containerd" : "classic"),
    r.counts === undefined ? "-" : String(r.counts.pass),
    r.counts === undefined ? "-" : `${r.counts.fail + r.counts.cancelled}${r.counts.cancelled > 0 ? ` (${r.counts.cancelled} cancelled)` : ""}`,
    r.counts === undefined ? "-" : String(r.counts.skipped + r.counts.todo),
    `${Math.floor(r.seconds / 60)}m${String(r.seconds % 60).padStart(2, "0")}s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

function details(rows: readonly Row[]): string {
  const out: string[] = [];
  for (const r of rows) {
    if (r.problem !== undefined) out.push(`${r.engine.id}: ${r.problem}`);
    for (const f of r.failures) out.push(`${r.engine.id}: ${f.path.join(" > ")}: ${f.error}`);
  }
  return out.join("\n");
}

async function main(): Promise<number> {
  const engines = selectEngines(process.env.DOCKER_CRI_ENGINES);
  const files = suiteFiles(repoRoot, process.argv.slice(2));
  if (files.length === 0) throw new Error(`No engine suite file matches ${process.argv.slice(2).join(" ")}`);
  if (engines.some((e) => e.suite !== undefined) && process.getuid?.() !== 0) throw new Error("The private dockerds need root");
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);

  if (engines.some((e) => { const bin = binDir(e); return bin !== undefined && !existsSync(join(bin, "dockerd")); })) {
    log(`engines missing in ${enginesDir}: scripts/engines.sh fetch`);
    const fetched = spawnSync("bash", [join(repoRoot, "scripts", "engines.sh"), "fetch"], { stdio: "inherit", env: { ...process.env, DOCKER_CRI_ENGINES_DIR: enginesDir } });
    if (fetched.status !== 0) throw new Error(`scripts/engines.sh fetch failed (exit ${fetched.status ?? fetched.signal})`);
  }

  await rm(reportDir, { recursive: true, force: true });
  await mkdir(reportDir, { recursive: true });
  log(`engines: ${engines.map((e) => e.id).join(", ")}; files: ${files.join(" ")}`);
  const rows: Row[] = [];
  for (const engine of engines) {
    if (interrupted) break;
    rows.push(await runEngine(engine, files));
  }

  const report = [table(rows), details(rows)].filter((s) => s !== "").join("\n\n");
  await writeFile(join(reportDir, "summary.txt"), `${report}\n`);
  process.stdout.write(`\n${report}\n\n(TAP, dockerd logs and this summary in ${reportDir})\n`);
  const failed = interrupted || rows.some((r) => r.problem !== undefined || r.counts === undefined || r.counts.fail + r.counts.cancelled > 0);
  return failed ? 1 : 0;
}

main().then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`test:engines: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
