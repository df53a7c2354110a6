/**
 * The documentation's shape: README.md stays short, every relative link in README.md, docs/ and
 * bench/results.md reaches a file, and docs/architecture.md shows the layer tiers exactly as
 * eslint.config.js enforces them.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const readmeMaxLines = 200;

/**
 * `layers` as eslint.config.js exports it. Imported at run time by URL: the file is plain JavaScript
 * without types (tsc would refuse a static import), so its value is checked into shape here.
 */
async function eslintLayers(): Promise<string[][]> {
  const config: unknown = await import(pathToFileURL(join(repoRoot, "eslint.config.js")).href);
  const layers: unknown = typeof config === "object" && config !== null && "layers" in config ? config.layers : undefined;
  assert.ok(isTierList(layers), "eslint.config.js exports no `layers` list of folder lists");
  return layers;
}

function isTierList(value: unknown): value is string[][] {
  return Array.isArray(value) && value.every((tier) => Array.isArray(tier) && tier.every((f) => typeof f === "string"));
}

/** Markdown without fenced code blocks and inline code, where `[x](y)` is not a link. */
function proseOf(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** The targets of the relative links in a markdown text, anchors cut off; `#anchor` alone is left out. */
function relativeLinkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const m of proseOf(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1] ?? "";
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
    targets.push(target.split("#")[0] ?? "");
  }
  return targets;
}

/** The relative links of `file` whose target does not exist, as written. */
function brokenLinks(file: string, markdown: string): string[] {
  return relativeLinkTargets(markdown).filter((t) => !existsSync(join(dirname(file), decodeURIComponent(t))));
}

/** The lines of the fenced block whose info string is `info`, or undefined when there is none. */
function fencedBlock(markdown: string, info: string): string[] | undefined {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.trim() === "```" + info);
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && l.trim() === "```");
  return end < 0 ? undefined : lines.slice(start + 1, end);
}

async function markdownFiles(): Promise<string[]> {
  const docs = (await readdir(join(repoRoot, "docs"))).filter((f) => f.endsWith(".md")).map((f) => join(repoRoot, "docs", f));
  return [join(repoRoot, "README.md"), join(repoRoot, "bench", "results.md"), ...docs];
}

describe("docs", () => {
  it(`README.md has at most ${readmeMaxLines} lines`, async () => {
    const text = await readFile(join(repoRoot, "README.md"), "utf8");
    const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
    assert.ok(lines.length <= readmeMaxLines, `README.md has ${lines.length} lines; move detail into docs/`);
  });

  it("finds relative links and reports the ones whose file is missing", () => {
    const sample = "See [a](docs/a.md#x), [b](https://example.org/b), [c](#c), `[d](not-a-link.md)` and\n```\n[e](in-code.md)\n```\n[f](../f.md \"title\")\n";
    assert.deepEqual(relativeLinkTargets(sample), ["docs/a.md", "../f.md"]);
    assert.deepEqual(brokenLinks(join(repoRoot, "README.md"), "[ok](docs/architecture.md) [gone](docs/no-such-page.md)"), ["docs/no-such-page.md"]);
  });

  it("every relative link in README.md, docs/*.md and bench/results.md points to a file that exists", async () => {
    const files = await markdownFiles();
    let links = 0;
    const broken: string[] = [];
    for (const file of files) {
      const text = await readFile(file, "utf8");
      links += relativeLinkTargets(text).length;
      for (const target of brokenLinks(file, text)) broken.push(`${relative(repoRoot, file)}: ${target}`);
    }
    // README.md links every page of docs/: no links found means the scan itself is broken.
    assert.ok(links >= files.length, `only ${links} relative links found in ${files.length} files`);
    assert.deepEqual(broken, []);
  });

  it("docs/architecture.md's tier block is the layers eslint.config.js enforces, lowest first", async () => {
    const text = await readFile(join(repoRoot, "docs", "architecture.md"), "utf8");
    const block = fencedBlock(text, "tiers");
    assert.ok(block !== undefined, "docs/architecture.md has no ```tiers block");
    const layers = await eslintLayers();
    assert.ok(layers.length > 0);
    assert.deepEqual(block.map((line) => line.split(", ")), layers);
  });
});
