/**
 * The node arguments that run docker-cri from the current source: src/main.ts bundled by esbuild (the
 * bundler `npm run package` uses) into one file, built once per state of src/ and cached under
 * node_modules/.cache, run with source maps so that stacks name the .ts files.
 *
 * Why not `node --import tsx src/main.ts`: tsx resolves and loads each of docker-cri's ~300 modules
 * through its loader hooks, which costs about 4 s of CPU per start against 1.5 s for the bundle
 * (measured on the CI machine's 2 cores). The suite starts docker-cri well over a hundred times; with
 * both cores busy (DOCKER_CRI_TEST_HOGS=2) a tsx start took more than 30 s and failed the test kit's
 * start-up bound before the daemon had written a line.
 *
 * What is run is the same code: the cache key covers every file under src/ (path, size, mtime), so an
 * edit is picked up by the next start, as with tsx. `import.meta.url` is replaced by each source
 * file's own URL, so the paths the native addon loaders compute from it are those of the source tree.
 * Packages stay external and load from node_modules as they do under tsx.
 */
import { createHash } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const srcDir = join(repoRoot, "src");
const cacheDir = join(repoRoot, "node_modules", ".cache", "docker-cri-test");
/** Part of the cache key: change it when the build options below change. */
const recipe = "esm-node20-inline-maps-1";
/** Bundles of older source states kept beside the current one (other checkouts' runs may still use them). */
const keepBundles = 4;

/** The esbuild API this file uses (esbuild ships its own types, but only as a devDependency's). */
interface EsbuildPlugin {
  name: string;
  setup(build: { onLoad(options: { filter: RegExp }, callback: (args: { path: string }) => Promise<{ contents: string; loader: "ts" }>): void }): void;
}
interface Esbuild {
  build(options: Record<string, unknown> & { plugins: EsbuildPlugin[] }): Promise<unknown>;
}

function sourceFiles(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(p, out);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

/** A digest of src/ as it is now: every non-test .ts file's path, size and modification time. */
function sourceKey(): string {
  const hash = createHash("sha256").update(`${recipe}\n`);
  for (const file of sourceFiles(srcDir, []).sort()) {
    const st = statSync(file);
    hash.update(`${relative(srcDir, file)}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return hash.digest("hex").slice(0, 16);
}

let built: { key: string; path: string } | undefined;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function build(key: string): Promise<string> {
  const dir = join(cacheDir, key);
  const bundle = join(dir, "main.mjs");
  if (await exists(bundle)) return bundle;
  await mkdir(dir, { recursive: true });
  // The loaded module is esbuild's CommonJS API; the interface above names the one call made.
  const esbuild = createRequire(import.meta.url)("esbuild") as Esbuild;
  const tmp = `${bundle}.${process.pid}.tmp`;
  await esbuild.build({
    entryPoints: [join(srcDir, "main.ts")],
    outfile: tmp,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    sourcemap: "inline",
    logLevel: "warning",
    plugins: [
      {
        name: "source-import-meta-url",
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, async (args) => ({
            contents: (await readFile(args.path, "utf8")).replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)),
            loader: "ts",
          }));
        },
      },
    ],
  });
  // Another test process may build the same key at the same time; rename makes either result whole.
  await rename(tmp, bundle);
  await pruneOldBundles(key);
  return bundle;
}

async function pruneOldBundles(current: string): Promise<void> {
  const entries = await Promise.all(
    (await readdir(cacheDir)).filter((name) => name !== current).map(async (name) => ({ name, mtimeMs: (await stat(join(cacheDir, name))).mtimeMs })),
  );
  entries.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of entries.slice(keepBundles)) await rm(join(cacheDir, old.name), { recursive: true, force: true });
}

/** Node arguments that run docker-cri from the current source; append docker-cri's own arguments. */
export async function daemonNodeArgs(): Promise<string[]> {
  const key = sourceKey();
  if (built?.key !== key) built = { key, path: await build(key) };
  return ["--enable-source-maps", built.path];
}
