// Lint: type-aware typescript-eslint (strictTypeChecked) plus the import-direction rules of
// docs/style.md: main → app → server/streaming/metrics → cri → docker/network/store → errors/log/util.
// A lower layer importing an upper one is an error here, not a review comment.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

/** Each layer and the folders it must never import from. */
const layers = [
  { from: "src/errors", upper: ["src/state", "src/stats", "src/logs", "src/host", "src/doctor", "src/log", "src/util", "src/docker", "src/network", "src/store", "src/cri", "src/server", "src/streaming", "src/metrics", "src/app.ts", "src/main.ts", "src/config"] },
  { from: "src/log", upper: ["src/state", "src/stats", "src/logs", "src/host", "src/doctor", "src/util", "src/docker", "src/network", "src/store", "src/cri", "src/server", "src/streaming", "src/metrics", "src/app.ts", "src/main.ts", "src/config"] },
  { from: "src/util", upper: ["src/state", "src/stats", "src/logs", "src/host", "src/doctor", "src/docker", "src/network", "src/store", "src/cri", "src/server", "src/streaming", "src/metrics", "src/app.ts", "src/main.ts", "src/config"] },
  { from: "src/docker", upper: ["src/state", "src/stats", "src/network", "src/store", "src/cri", "src/server", "src/streaming", "src/metrics", "src/app.ts", "src/main.ts", "src/config"] },
  { from: "src/network", upper: ["src/docker", "src/store", "src/cri", "src/server", "src/streaming", "src/metrics", "src/app.ts", "src/main.ts", "src/config"] },
  { from: "src/store", upper: ["src/docker", "src/network", "src/cri", "src/server", "src/streaming", "src/metrics", "src/app.ts", "src/main.ts", "src/config"] },
  { from: "src/gen", upper: ["src/errors", "src/log", "src/util", "src/docker", "src/network", "src/store", "src/cri", "src/server", "src/streaming", "src/metrics", "src/app.ts", "src/main.ts", "src/config"] },
  { from: "src/config", upper: ["src/docker", "src/network", "src/store", "src/cri", "src/server", "src/streaming", "src/metrics", "src/app.ts", "src/main.ts"] },
  { from: "src/cri", upper: ["src/server", "src/streaming", "src/metrics", "src/app.ts", "src/main.ts"] },
  { from: "src/server", upper: ["src/streaming", "src/app.ts", "src/main.ts"] },
  { from: "src/streaming", upper: ["src/server", "src/app.ts", "src/main.ts"] },
  { from: "src/metrics", upper: ["src/server", "src/streaming", "src/cri", "src/app.ts", "src/main.ts"] },
  { from: "src/app.ts", upper: ["src/main.ts"] },
  // Host operations (runtime cgroup, OOM score, sd_notify): a leaf beside docker/network/store.
  { from: "src/host", upper: ["src/docker", "src/network", "src/store", "src/cri", "src/server", "src/streaming", "src/metrics", "src/doctor", "src/app.ts", "src/main.ts", "src/config"] },
  // Container log copier (CRI-format log files): a leaf beside docker/network/store.
  { from: "src/logs", upper: ["src/docker", "src/network", "src/store", "src/host", "src/cri", "src/server", "src/streaming", "src/metrics", "src/doctor", "src/app.ts", "src/main.ts", "src/config"] },
  // Cgroup-read stats: a leaf beside docker/network/store (it may read host facts).
  { from: "src/stats", upper: ["src/docker", "src/network", "src/store", "src/logs", "src/state", "src/cri", "src/server", "src/streaming", "src/metrics", "src/doctor", "src/app.ts", "src/main.ts", "src/config"] },
  // The event-fed state cache: just above docker, below cri.
  { from: "src/state", upper: ["src/network", "src/store", "src/logs", "src/stats", "src/cri", "src/server", "src/streaming", "src/metrics", "src/doctor", "src/app.ts", "src/main.ts", "src/config"] },
  // `docker-cri doctor`: an upper layer like app.ts, run only from main.
  { from: "src/doctor", upper: ["src/cri", "src/server", "src/streaming", "src/metrics", "src/app.ts", "src/main.ts"] },
];

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
      "import-x/no-restricted-paths": ["error", {
        zones: layers.flatMap(({ from, upper }) => upper.map((target) => ({ target: `./${from}`, from: `./${target}` }))),
      }],
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
