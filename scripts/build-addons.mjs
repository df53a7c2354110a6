#!/usr/bin/env node
// Builds docker-cri's Node-API addons into dist/native/ (all of them, or those named as arguments):
//   netns-connect  src/streaming-server/netns/netns-connect.c  port forwarding connects inside a pod's netns
//   sd-notify      src/host/sd-notify.c                 systemd sd_notify datagrams (Type=notify)
//   read-files     src/cgroup-stats/read-files.c        stats reads of cgroup and /proc files off the event loop
// It needs only a C compiler and the Node.js headers that ship with Node itself (NodeSource's and the
// official builds install them under <prefix>/include/node); no node-gyp, no download. An addon is
// rebuilt only when its source is newer (or with --force). Run by `npm run build`; tests that need an
// addon run it too.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const addons = {
  "netns-connect": { source: ["src", "streaming-server", "netns", "netns-connect.c"], libs: ["-lpthread"], neededFor: "port forwarding" },
  "sd-notify": { source: ["src", "host", "sd-notify.c"], libs: [], neededFor: "systemd Type=notify" },
  "read-files": { source: ["src", "cgroup-stats", "read-files.c"], libs: [], neededFor: "stats reads off the event loop (without it they run on it)" },
};

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

function compile(args) {
  const compilers = process.env.CC !== undefined ? [process.env.CC] : ["cc", "gcc"];
  for (const [i, cc] of compilers.entries()) {
    try {
      execFileSync(cc, args, { stdio: ["ignore", "inherit", "inherit"] });
      return;
    } catch (err) {
      // Only a missing compiler moves on to the next name; a compile error is final.
      if (!(err instanceof Error && "code" in err && err.code === "ENOENT") || i === compilers.length - 1) throw err;
    }
  }
}

const force = process.argv.includes("--force");
const names = process.argv.slice(2).filter((a) => !a.startsWith("--"));
for (const name of names) {
  if (!(name in addons)) {
    process.stderr.write(`build-addons: unknown addon "${name}"; known: ${Object.keys(addons).join(", ")}\n`);
    process.exit(2);
  }
}
let failed = false;
for (const [name, addon] of Object.entries(addons)) {
  if (names.length > 0 && !names.includes(name)) continue;
  const source = join(root, ...addon.source);
  const output = join(root, "dist", "native", `${name}.node`);
  if (!force && existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) continue;
  try {
    mkdirSync(dirname(output), { recursive: true });
    const tmp = `${output}.${process.pid}.tmp`;
    compile(["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-I", headerDir(), "-o", tmp, source, ...addon.libs]);
    // Atomic: a daemon or test loading the addon never sees a half-written file.
    renameSync(tmp, output);
    process.stdout.write(`built ${output}\n`);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    process.stderr.write(`build-addons: cannot build ${output}: ${detail}\n(${addon.neededFor} needs it; install a C compiler: apt-get install gcc libc6-dev)\n`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
