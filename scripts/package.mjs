#!/usr/bin/env node
// `npm run package`: builds dist/package/docker-cri, one executable that runs docker-cri on a host
// without Node.js — a Node.js 20 single executable application (SEA):
//
//   1. the native addons (sd-notify, netns-connect, read-files) are built as for `npm run build`;
//   2. esbuild bundles src/main.ts and every dependency into one CommonJS file;
//   3. `node --experimental-sea-config` turns it into a blob, with the addons as SEA assets;
//   4. postject injects the blob into a copy of this very node binary.
//
// Native addons cannot be loaded from inside the executable, so the bundle's first lines (the banner
// below) write them to a private temp directory at start (mkdtemp, mode 0700, removed at exit) laid out
// like the repository (`<dir>/dist/native/*.node`); every `import.meta.url` in our sources is rewritten
// to the file's place under that directory, so the loaders' relative paths
// (`../../dist/native/x.node`) find them unchanged. Run from the repository root.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "dist", "package");
const bundle = join(outDir, "docker-cri.cjs");
const blob = join(outDir, "docker-cri.blob");
const seaConfig = join(outDir, "sea-config.json");
const executable = join(outDir, "docker-cri");
// The fuse string Node's SEA support looks for; postject flips it when it injects the blob.
const fuse = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/** Native addons shipped inside the executable: [SEA asset key, built file, addon name for build-addons.mjs]. */
const addons = [
  ["sd-notify.node", join(root, "dist", "native", "sd-notify.node"), "sd-notify"],
  ["netns-connect.node", join(root, "dist", "native", "netns-connect.node"), "netns-connect"],
  ["read-files.node", join(root, "dist", "native", "read-files.node"), "read-files"],
];

function step(text) {
  process.stdout.write(`package: ${text}\n`);
}

function fail(text) {
  process.stderr.write(`package: ${text}\n`);
  process.exit(1);
}

if (!readFileSync(process.execPath).includes(fuse)) {
  fail(`${process.execPath} has no SEA fuse (${fuse}); build with an official Node.js 20 binary (nodejs.org or NodeSource)`);
}

// 1. Native addons.
const assets = {};
for (const [key, file, name] of addons) {
  execFileSync(process.execPath, [join(root, "scripts", "build-addons.mjs"), name], { stdio: "inherit" });
  if (!existsSync(file)) fail(`${relative(root, file)} is missing and scripts/build-addons.mjs cannot build it`);
  assets[key] = file;
}
step(`addons: ${Object.keys(assets).join(", ")}`);

// 2. Bundle.
mkdirSync(outDir, { recursive: true });
const esbuild = require("esbuild");
const banner = `"use strict";
var __seaRoot = (function () {
  var fs = require("node:fs"), path = require("node:path"), os = require("node:os");
  var sea;
  try { sea = require("node:sea"); } catch (e) { sea = undefined; }
  if (sea === undefined || !sea.isSea()) return path.resolve(__dirname, "..", "..");
  var dir = fs.mkdtempSync(path.join(os.tmpdir(), "docker-cri-"));
  var native = path.join(dir, "dist", "native");
  fs.mkdirSync(native, { recursive: true, mode: 0o700 });
  ${JSON.stringify(Object.keys(assets))}.forEach(function (key) {
    fs.writeFileSync(path.join(native, key), Buffer.from(sea.getAsset(key)), { mode: 0o500 });
  });
  process.on("exit", function () { try { fs.rmSync(dir, { recursive: true, force: true }); } catch (e) {} });
  return dir;
})();
function __seaImportMetaUrl(rel) {
  return require("node:url").pathToFileURL(require("node:path").join(__seaRoot, rel)).href;
}`;
const importMetaUrl = {
  name: "import-meta-url",
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      const rel = relative(root, args.path);
      return { contents: text.replaceAll("import.meta.url", `__seaImportMetaUrl(${JSON.stringify(rel)})`), loader: "ts" };
    });
  },
};
// ws tries these optional native speed-ups inside try/catch; bundled as modules that throw, ws falls
// back to JavaScript without SEA's "require() only loads built-in modules" warning.
const optionalNative = {
  name: "optional-native",
  setup(build) {
    build.onResolve({ filter: /^(bufferutil|utf-8-validate)$/ }, (args) => ({ path: args.path, namespace: "optional-native" }));
    build.onLoad({ filter: /.*/, namespace: "optional-native" }, (args) => ({ contents: `throw new Error(${JSON.stringify(`${args.path} is not bundled`)});`, loader: "js" }));
  },
};
await esbuild.build({
  entryPoints: [join(root, "src", "main.ts")],
  outfile: bundle,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  banner: { js: banner },
  plugins: [importMetaUrl, optionalNative],
  logLevel: "warning",
  legalComments: "none",
});
step(`bundle: ${relative(root, bundle)} (${(statSync(bundle).size / 1024).toFixed(0)} KiB)`);

// 3. SEA blob, without a V8 code cache: V8 accepts a cache only under the flags it was made with, so
// the systemd unit's NODE_OPTIONS (or a shell without them) got "Code cache data rejected." on every
// start; the cache saved about 30 ms of a 0.2 s start and nothing in memory.
writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, assets }, null, 2));
execFileSync(process.execPath, ["--experimental-sea-config", seaConfig], { stdio: ["ignore", "ignore", "inherit"] });

// 4. Inject into a copy of node; the finished file appears atomically.
const tmp = `${executable}.${process.pid}.tmp`;
copyFileSync(process.execPath, tmp);
chmodSync(tmp, 0o755);
const { inject } = require("postject");
await inject(tmp, "NODE_SEA_BLOB", readFileSync(blob), { sentinelFuse: fuse });
renameSync(tmp, executable);
rmSync(blob, { force: true });
step(`executable: ${relative(root, executable)} (${(statSync(executable).size / (1024 * 1024)).toFixed(0)} MiB, Node.js ${process.version})`);
