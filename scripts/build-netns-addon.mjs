#!/usr/bin/env node
// Builds dist/native/netns-connect.node, the Node-API addon port forwarding uses to connect inside a
// pod's network namespace (src/streaming/netns/netns-connect.c). It needs only a C compiler and the
// Node.js headers that ship with Node itself (NodeSource's and the official builds install them
// under <prefix>/include/node); no node-gyp, no download. Rebuilds only when the source is newer.
// Run by `npm run build`; tests that need it run it too.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "src", "streaming", "netns", "netns-connect.c");
const output = join(root, "dist", "native", "netns-connect.node");

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
  const args = ["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-I", headerDir(), "-o", tmp, source, "-lpthread"];
  const compilers = process.env.CC !== undefined ? [process.env.CC] : ["cc", "gcc"];
  for (const [i, cc] of compilers.entries()) {
    try {
      execFileSync(cc, args, { stdio: ["ignore", "inherit", "inherit"] });
      break;
    } catch (err) {
      // Only a missing compiler moves on to the next name; a compile error is final.
      if (!(err instanceof Error && "code" in err && err.code === "ENOENT") || i === compilers.length - 1) throw err;
    }
  }
  // Atomic: a daemon or test loading the addon never sees a half-written file.
  renameSync(tmp, output);
  process.stdout.write(`built ${output}\n`);
} catch (err) {
  const detail = err instanceof Error ? err.message : String(err);
  process.stderr.write(`build-netns-addon: cannot build ${output}: ${detail}\n(port forwarding needs it; install a C compiler: apt-get install gcc libc6-dev)\n`);
  process.exit(1);
}
