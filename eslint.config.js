// Lint: type-aware typescript-eslint (strictTypeChecked), the layer order below, and no import circles.
// A lower layer importing an upper one is an error here, not a review comment.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

/**
 * The layers of src/, lowest first; docs/architecture.md shows the same list. A folder (or file) may
 * import only from the tiers below its own; folders of one tier never import each other.
 */
export const layers = [
  ["src/gen"],
  ["src/errors"],
  ["src/logger"],
  ["src/util"],
  ["src/host", "src/config"],
  ["src/docker", "src/network", "src/store", "src/container-logs", "src/cgroup-stats"],
  ["src/state-cache"],
  ["src/metrics", "src/doctor"],
  ["src/cri"],
  ["src/server", "src/streaming-server"],
  ["src/app.ts"],
  ["src/main.ts"],
];

/** Zones for import-x/no-restricted-paths: every folder against its peers and every tier above it. */
const zones = layers.flatMap((tier, rank) => tier.flatMap((from) => [
  ...tier.filter((peer) => peer !== from),
  ...layers.slice(rank + 1).flat(),
].map((upper) => ({ target: `./${from}`, from: `./${upper}` }))));

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "src/gen/**", "scripts/**", "eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "import-x": importX },
    // Without a TypeScript resolver, import-x cannot map our `./x.js` specifiers to `x.ts` files and the
    // layer rules below would silently pass every import.
    settings: { "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })] },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      // Handlers keep the (deps, request, ctx) shape even when one of them is unused: prefix it with _.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true, allowNullish: true }],
      "import-x/no-restricted-paths": ["error", { zones }],
      // No import circle, type-only or not.
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
    },
  },
  {
    files: ["test/**/*.ts", "src/**/*.test.ts", "bench/**/*.ts"],
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": ["error", { allowForKnownSafeCalls: [{ from: "package", name: ["describe", "it", "test", "suite"], package: "node:test" }] }],
    },
  },
);
