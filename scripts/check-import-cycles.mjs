#!/usr/bin/env node
// Fails when a module under src/ reaches itself through its imports, type-only imports and
// re-exports included (import-x/no-cycle in eslint.config.js skips type-only ones). Run by npm run lint.
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const root = resolve(import.meta.dirname, "..");

function sources(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (path !== join(root, "src", "gen")) sources(path, out);
    } else if (name.endsWith(".ts") && !name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

/** The files `file` imports, by relative specifier, `./x.js` mapped to `x.ts`. */
function importsOf(file) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => resolve(dirname(file), spec.replace(/\.js$/, ".ts")))
    .map((path) => (existsSync(path) && statSync(path).isDirectory() ? join(path, "index.ts") : path))
    .filter((path) => existsSync(path));
}

const graph = new Map(sources(join(root, "src")).map((file) => [file, importsOf(file)]));
const state = new Map(); // file → "open" while on the path, "done" after
const path = [];
const cycles = [];
function visit(file) {
  state.set(file, "open");
  path.push(file);
  for (const next of graph.get(file) ?? []) {
    if (state.get(next) === "open") cycles.push([...path.slice(path.indexOf(next)), next]);
    else if (!state.has(next)) visit(next);
  }
  path.pop();
  state.set(file, "done");
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (cycles.length > 0) {
  for (const cycle of cycles) console.error(`import circle: ${cycle.map((f) => relative(root, f)).join(" → ")}`);
  process.exit(1);
}
console.log(`no import circle among ${graph.size} modules of src/`);
