#!/usr/bin/env node
// Regenerates src/gen/runtime/v1/api_pb.ts from proto/ with buf and the local protoc-gen-es
// (configuration in buf.yaml / buf.gen.yaml at the repo root).
//
// Usage: npm run gen                 generate TypeScript from the committed proto
//        npm run gen -- --proto      first rewrite the proto from ../shared/cri-api/cri-v1-descriptor.json
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function run(cmd, args) {
  const res = spawnSync(cmd, args, { cwd: repoRoot, stdio: "inherit" });
  if (res.error) throw res.error;
  if (res.status !== 0) process.exit(res.status ?? 1);
}

if (process.argv.includes("--proto")) {
  run(process.execPath, [join(repoRoot, "scripts", "proto-from-descriptor.mjs")]);
}

// buf only adds and overwrites files; removing the generated tree first keeps a renamed or deleted
// proto from leaving a stale module behind. src/gen/index.ts is hand-written and stays.
rmSync(join(repoRoot, "src", "gen", "runtime"), { recursive: true, force: true });
run(join(repoRoot, "node_modules", ".bin", "buf"), ["generate"]);
console.log("generated src/gen/runtime/v1/api_pb.ts");
