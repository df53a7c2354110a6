#!/usr/bin/env node
// Builds dist/native/sd-notify.node, the Node-API addon that sends systemd's sd_notify datagrams
// (src/host/sd-notify.c). Same approach as scripts/build-netns-addon.mjs: a C compiler and the
// Node.js headers that ship with Node itself, no node-gyp, no download; rebuilds only when the source
// is newer. Run by `npm run build` and `npm run package`; tests that need it run it too.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "src", "host", "sd-notify.c");
const output = join(root, "dist", "native", "sd-notify.node");

function headerDir() {
  const candidates = [
    join(dirname(process.execPath), "..", "include", "node"),
    join(String(process.config.variables.node_prefix ?? "/usr"), "include", "node"),
    "/usr/include/node",
    "/usr/local/include/node",
  ];
  const found = candidates.find((dir) => existsSync(join(dir, "node_api.h")));
  if (found === undefined) {
    throw new Error(`Node.js headers (node_api.h) not found in ${candidates.join(", ")}; install Node.js with its headers (NodeSource's nodejs package or an official build)`);
  }
  return found;
}

const force = process.argv.includes("--force");
if (!force && existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) process.exit(0);
try {
  mkdirSync(dirname(output), { recursive: true });
  const tmp = `${output}.${process.pid}.tmp`;
  const cc = process.env.CC ?? "cc";
  execFileSync(cc, ["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-I", headerDir(), "-o", tmp, source], { stdio: ["ignore", "inherit", "inherit"] });
  // Atomic: a daemon or test loading the addon never sees a half-written file.
  renameSync(tmp, output);
  process.stdout.write(`built ${output}\n`);
} catch (err) {
  const detail = err instanceof Error ? err.message : String(err);
  process.stderr.write(`build-sd-notify-addon: cannot build ${output}: ${detail}\n(systemd Type=notify needs it; install a C compiler: apt-get install gcc libc6-dev)\n`);
  process.exit(1);
}
