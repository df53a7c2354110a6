#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node:test through the tsx loader.
// Node 20's test runner does not expand globs, so the file list is built here.
// Pass file paths or a substring filter as arguments to run a subset.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

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
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const res = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...files], { stdio: "inherit" });
process.exit(res.status ?? 1);
