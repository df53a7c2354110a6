/**
 * npm run bench [filter…] [-- --pods N --seconds S --idle-seconds I]: starts docker-cri against the
 * real dockerd, runs every case of every bench/*.bench.ts (or those whose name contains a filter), and
 * prints median and p90 latency of the shim and of the direct Docker calls, with the ratio shim/direct
 * (below 1 means docker-cri is faster). Then the kubelet steady-state bench (bench/kubelet.ts, its
 * own docker-cri; the options size it), which the filter `kubelet` selects alone.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { randomBytes } from "node:crypto";
import { ensureTestImages } from "../test/kit/images.js";
import { startDaemon } from "../test/kit/daemon.js";
import { negotiateApiVersion, HttpTransport } from "../src/docker/index.js";
import type { BenchCase, BenchContext } from "./bench.js";
import { parseKubeletOptions, runKubelet } from "./kubelet.js";

const here = dirname(fileURLToPath(import.meta.url));

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.floor(q * sorted.length));
  return sorted[idx] ?? Number.NaN;
}

async function time(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function isBenchCase(v: unknown): v is BenchCase {
  return typeof v === "object" && v !== null && typeof Reflect.get(v, "name") === "string" && typeof Reflect.get(v, "shim") === "function" && typeof Reflect.get(v, "direct") === "function";
}

async function loadCases(filters: string[]): Promise<BenchCase[]> {
  const cases: BenchCase[] = [];
  for (const file of readdirSync(here).filter((f) => f.endsWith(".bench.ts")).sort()) {
    const mod: unknown = await import(pathToFileURL(join(here, file)).href);
    const list: unknown = typeof mod === "object" && mod !== null ? Reflect.get(mod, "cases") : undefined;
    if (!Array.isArray(list)) continue;
    for (const c of list) if (isBenchCase(c)) cases.push(c);
  }
  return filters.length === 0 ? cases : cases.filter((c) => filters.some((f) => c.name.includes(f)));
}

async function main(): Promise<void> {
  const { options, rest: filters } = parseKubeletOptions(process.argv.slice(2));
  const cases = await loadCases(filters);
  if (cases.length > 0) await runPaired(cases);
  if (filters.length === 0 || filters.some((f) => "kubelet".includes(f))) await runKubelet(options);
}

async function runPaired(cases: BenchCase[]): Promise<void> {
  await ensureTestImages();
  const daemon = await startDaemon({ args: ["--log-level=warn"] });
  const docker = new HttpTransport({ endpoint: "unix:///var/run/docker.sock", requestTimeoutMs: 120_000 });
  await negotiateApiVersion(docker);
  const ctx: BenchContext = { cri: daemon.client(), docker, socketPath: daemon.socketPath, runId: randomBytes(4).toString("hex") };
  const rows: string[][] = [["case", "iterations", "shim p50 ms", "shim p90 ms", "direct p50 ms", "direct p90 ms", "ratio p50"]];
  try {
    for (const c of cases) {
      const n = c.iterations ?? 50;
      process.stderr.write(`bench: ${c.name} (${c.description})\n`);
      try {
        await c.setup?.(ctx);
        for (let i = 0; i < Math.min(5, n); i++) {
          await c.prepare?.(ctx, "shim");
          await c.shim(ctx);
          await c.prepare?.(ctx, "direct");
          await c.direct(ctx);
        }
        const shim: number[] = [];
        const direct: number[] = [];
        // Alternate the two sides so that drift in the machine's load hits both alike.
        for (let i = 0; i < n; i++) {
          await c.prepare?.(ctx, "shim");
          shim.push(await time(() => c.shim(ctx)));
          await c.prepare?.(ctx, "direct");
          direct.push(await time(() => c.direct(ctx)));
        }
        shim.sort((a, b) => a - b);
        direct.sort((a, b) => a - b);
        const s50 = quantile(shim, 0.5);
        const d50 = quantile(direct, 0.5);
        rows.push([c.name, String(n), s50.toFixed(2), quantile(shim, 0.9).toFixed(2), d50.toFixed(2), quantile(direct, 0.9).toFixed(2), (s50 / d50).toFixed(2)]);
      } catch (err) {
        rows.push([c.name, "-", "error", err instanceof Error ? err.message.slice(0, 60) : String(err), "", "", ""]);
      } finally {
        await c.teardown?.(ctx).catch((err: unknown) => { process.stderr.write(`bench: teardown of ${c.name} failed: ${String(err)}\n`); });
      }
    }
  } finally {
    await daemon.stop();
    await daemon.cleanup();
    await docker.close();
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  for (const r of rows) process.stdout.write(`${r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
