/**
 * What `npm run test:engines` runs: the Docker Engines, and the end-to-end suites that touch Docker's
 * behaviour. This is the one list; test/engines/run-engines.ts reads it.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

export interface EngineSpec {
  /** The name DOCKER_CRI_ENGINES picks it by. */
  readonly id: string;
  /**
   * The Debian suite scripts/engines.sh fetched it from (its bin directory goes first on PATH), or
   * undefined for the system engine on /var/run/docker.sock, which is used as it runs.
   */
  readonly suite?: "trixie" | "sid";
  readonly containerdStore: boolean;
}

/**
 * 20.10 is Debian 12's docker.io; 26.1 is Debian 13 "trixie"'s; 28.5 is unstable's at the time of
 * writing (sid moves: the table prints the version the daemon reports).
 */
export const ENGINES: readonly EngineSpec[] = [
  { id: "20.10", containerdStore: false },
  { id: "26.1-classic", suite: "trixie", containerdStore: false },
  { id: "26.1-containerd", suite: "trixie", containerdStore: true },
  { id: "28.5-classic", suite: "sid", containerdStore: false },
  { id: "28.5-containerd", suite: "sid", containerdStore: true },
];

export interface EngineSuite {
  readonly name: string;
  /** Whether a test file (path relative to the repository, with "/") belongs to it. */
  readonly matches: (file: string) => boolean;
}

const exact = (...files: string[]) => (f: string): boolean => files.includes(f);
const pattern = (re: RegExp) => (f: string): boolean => re.test(f);

/**
 * Every file here talks to a real dockerd, through docker-cri (test/kit/daemon.ts) or directly
 * (test/kit/docker-api.ts); both follow DOCKER_CRI_TEST_DOCKER_SOCKET. Files against the fake engine
 * are left out: they never reach the engine. test/e2e/*engine*.test.ts files are the engine-specific
 * feature tests and always belong.
 */
export const ENGINE_SUITES: readonly EngineSuite[] = [
  { name: "docker client", matches: exact("test/integration/docker-client.test.ts") },
  { name: "images", matches: exact("test/e2e/images.test.ts", "test/e2e/images-pull.test.ts") },
  { name: "sandboxes", matches: pattern(/^test\/e2e\/sandbox-.*\.test\.ts$/) },
  { name: "containers", matches: pattern(/^test\/e2e\/container-.*\.test\.ts$/) },
  { name: "logs", matches: exact("test/container-logs/container-log-e2e.test.ts") },
  { name: "streaming", matches: exact("test/streaming/attach.test.ts", "test/streaming/exec-spdy.test.ts", "test/streaming/exec-websocket.test.ts", "test/streaming/port-forward.test.ts") },
  { name: "stats and events", matches: pattern(/^test\/e2e\/(stats.*|events)\.test\.ts$/) },
  { name: "networking", matches: pattern(/^test\/e2e\/network-.*\.test\.ts$/) },
  { name: "bad input", matches: exact("test/e2e/bad-input.test.ts") },
  { name: "engine features", matches: pattern(/^test\/e2e\/[^/]*engine[^/]*\.test\.ts$/) },
];

/** Test files of the fake engine: they never reach a real one. */
function againstFakeEngine(file: string): boolean {
  return file.includes("fake-engine");
}

/** The suite files under `root`, sorted, each once; `filters` (suite names or path substrings) narrow them. */
export function suiteFiles(root: string, filters: readonly string[] = []): string[] {
  const candidates = ["test/integration", "test/e2e", "test/container-logs", "test/streaming"].flatMap((dir) =>
    readdirSync(join(root, dir)).filter((name) => name.endsWith(".test.ts")).map((name) => `${dir}/${name}`),
  );
  const inSuites = candidates.filter((f) => !againstFakeEngine(f) && ENGINE_SUITES.some((s) => s.matches(f))).sort();
  if (filters.length === 0) return inSuites;
  return inSuites.filter((f) => filters.some((x) => f.includes(x) || ENGINE_SUITES.some((s) => s.name === x && s.matches(f))));
}

/** The engines DOCKER_CRI_ENGINES names (comma-separated ids), all of them when it is unset or empty. */
export function selectEngines(value: string | undefined): EngineSpec[] {
  if (value === undefined || value.trim() === "") return [...ENGINES];
  const ids = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const unknown = ids.filter((id) => !ENGINES.some((e) => e.id === id));
  if (unknown.length > 0) throw new Error(`Unknown engine in DOCKER_CRI_ENGINES: ${unknown.map((u) => `"${u}"`).join(", ")}; known: ${ENGINES.map((e) => e.id).join(", ")}`);
  return ENGINES.filter((e) => ids.includes(e.id));
}
