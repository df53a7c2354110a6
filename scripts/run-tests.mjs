#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node:test through the tsx loader.
// Node 20's test runner does not expand globs, so the file list is built here.
// Pass file paths or a substring filter as arguments to run a subset. test/soak/ runs only when
// asked for (npm run test:soak): it takes minutes on purpose.
//
// DOCKER_CRI_TEST_HOGS=N runs N CPU hogs (busy loops at normal priority) for the whole run, so that
// the suite is tried on a machine whose cores are all busy, as CI machines and kubelet nodes are.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === "node_modules" || name === "dist") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
let files = [...walk("src", []), ...walk("test", [])].sort();
if (args.length > 0) files = files.filter((f) => args.some((a) => f.includes(a)));
else files = files.filter((f) => !f.startsWith(join("test", "soak")));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const hogCount = Number(process.env.DOCKER_CRI_TEST_HOGS ?? "0");
if (!Number.isInteger(hogCount) || hogCount < 0) {
  console.error(`DOCKER_CRI_TEST_HOGS must be a whole number, not "${process.env.DOCKER_CRI_TEST_HOGS}"`);
  process.exit(2);
}
const hogs = Array.from({ length: hogCount }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
if (hogCount > 0) console.log(`# ${hogCount} CPU hog(s) running beside the tests (DOCKER_CRI_TEST_HOGS)`);
const stopHogs = () => { for (const h of hogs) h.kill("SIGKILL"); };
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => { stopHogs(); process.exit(130); });
const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...files], { stdio: "inherit" });
child.on("exit", (code, signal) => {
  stopHogs();
  process.exit(code ?? (signal === null ? 1 : 128));
});
