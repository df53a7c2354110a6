/**
 * Reads what `node --test --test-reporter=tap` wrote: the run's counts from the closing comment lines
 * (`# pass 12`, `# fail 1`, …) and every failed test with its path and the first line of its error.
 *
 * Node's TAP announces each test with `# Subtest: <name>` at its depth (4 spaces a level), prints its
 * children, then its own `ok`/`not ok` line at the same depth, followed by a YAML block. A suite that
 * fails because a child failed is not a failure of its own: only failed tests without a failed child
 * are listed; a broken `before` hook (which fails the suite and cancels its tests) is listed once, as
 * the suite with the hook's error and the number of tests it cancelled.
 */

export interface TapCounts {
  readonly tests: number;
  readonly pass: number;
  readonly fail: number;
  readonly cancelled: number;
  readonly skipped: number;
  readonly todo: number;
}

export interface TapFailure {
  /** True for a test cancelled because its parent ended (a failed hook); used while parsing only. */
  readonly cancelled?: boolean;
  /** Names from the file down to the test, e.g. ["/…/events.test.ts", "events", "reports a start"]. */
  readonly path: readonly string[];
  /** The first line of its error (or of the hook's error for a cancelled test). */
  readonly error: string;
}

export interface TapSummary {
  /** Undefined when the run ended before node printed its counts (killed, or no output at all). */
  readonly counts: TapCounts | undefined;
  readonly failures: readonly TapFailure[];
}

const COUNT_KEYS = ["tests", "pass", "fail", "cancelled", "skipped", "todo"] as const;
type CountKey = (typeof COUNT_KEYS)[number];

function isCountKey(key: string): key is CountKey {
  return (COUNT_KEYS as readonly string[]).includes(key);
}

export function parseTap(text: string): TapSummary {
  const lines = text.split("\n");
  const counts: Partial<Record<CountKey, number>> = {};
  /** Names of the open subtests, by depth. */
  const names: string[] = [];
  /** The failures found under the open subtest at depth d - 1, by d. */
  const below: TapFailure[][] = [[]];
  /**
   * A test file whose process dies (a syntax error, an uncaught exception) fails with just "test
   * failed"; its stderr comes before its result as top-level `# ` comments. The first error line.
   */
  let fileError = "";

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const indent = line.length - line.trimStart().length;
    const depth = Math.floor(indent / 4);
    const body = line.trimStart();

    const subtest = /^# Subtest: (.*)$/.exec(body);
    if (subtest !== null) {
      names.length = depth;
      names[depth] = unescapeName(subtest[1] ?? "");
      below[depth + 1] = [];
      continue;
    }

    const point = /^(not ok|ok) \d+ - (.*?)(?: # (SKIP|TODO)\b.*)?$/.exec(body);
    if (point !== null) {
      const failed = point[1] === "not ok" && point[3] === undefined;
      const children = below[depth + 1] ?? [];
      below[depth + 1] = [];
      const here = (below[depth] ??= []);
      if (!failed) {
        here.push(...children);
        continue;
      }
      const yaml = resultYaml(lines, i + 1, indent);
      const path = [...names.slice(0, depth), unescapeName(point[2] ?? "")];
      const cancelled = children.filter((f) => f.cancelled === true);
      if (children.length === 0) {
        here.push({ path, error: depth === 0 && yaml.error === "test failed" && fileError !== "" ? fileError : yaml.error });
      } else if (yaml.failureType === "hookFailed" && cancelled.length > 0) {
        // One line for the hook, not one per test it cancelled.
        here.push(...children.filter((f) => f.cancelled !== true), { path, error: `${yaml.error} (hook failed; ${cancelled.length} test${cancelled.length === 1 ? "" : "s"} cancelled)` });
      } else {
        here.push(...children);
      }
      if (depth === 0) fileError = "";
      if (yaml.failureType === "cancelledByParent") {
        const last = here.pop();
        if (last !== undefined) here.push({ ...last, cancelled: true });
      }
      continue;
    }

    if (depth === 0 && body.startsWith("# ")) {
      if (fileError === "") {
        const thrown = /^# ((?:\w+ )?(?:\w*Error|Exception)\b.*)$/.exec(body);
        if (thrown?.[1] !== undefined) fileError = thrown[1];
      } else if (fileError.endsWith(":")) {
        // "Transform failed with 1 error:" and the error itself on the next line.
        fileError = `${fileError} ${body.slice(2).trim()}`;
      }
    }
    if (depth === 0) {
      const count = /^# (\w+) (\d+)$/.exec(body);
      const key = count?.[1] ?? "";
      if (count !== null && isCountKey(key)) counts[key] = Number(count[2]);
    }
  }

  const complete = COUNT_KEYS.every((k) => counts[k] !== undefined);
  return {
    counts: complete
      ? { tests: counts.tests ?? 0, pass: counts.pass ?? 0, fail: counts.fail ?? 0, cancelled: counts.cancelled ?? 0, skipped: counts.skipped ?? 0, todo: counts.todo ?? 0 }
      : undefined,
    failures: (below[0] ?? []).map(({ path, error }) => ({ path, error })),
  };
}

/** Node escapes `#` and `\` in test names on result lines. */
function unescapeName(name: string): string {
  return name.replace(/\\(.)/g, "$1");
}

/**
 * From the YAML block after a result line: the first line of `error:` (inline, `error: 'text'`, or a
 * block scalar, `error: |-` followed by indented lines) and `failureType:`.
 */
function resultYaml(lines: readonly string[], from: number, indent: number): { error: string; failureType: string } {
  let error = "";
  let failureType = "";
  let actual: string | undefined;
  let expected: string | undefined;
  if ((lines[from] ?? "").trim() !== "---") return { error, failureType };
  for (let j = from + 1; j < lines.length; j++) {
    const line = lines[j] ?? "";
    const trimmed = line.trim();
    if (trimmed === "...") break;
    if (line.length - line.trimStart().length !== indent + 2) continue;
    const value2 = /^(actual|expected): (.+)$/.exec(trimmed);
    if (value2 !== null && value2[2] !== "|-" && value2[2] !== ">-") {
      if (value2[1] === "actual") actual = value2[2];
      else expected = value2[2];
      continue;
    }
    const m = /^(error|failureType): ?(.*)$/.exec(trimmed);
    if (m === null) continue;
    let value = m[2] ?? "";
    if (value === "|-" || value === "|" || value === ">-" || value === ">") {
      value = "";
      for (let k = j + 1; k < lines.length; k++) {
        const next = (lines[k] ?? "").trim();
        if (next !== "") {
          value = next;
          break;
        }
      }
    } else {
      value = unquote(value);
    }
    if (m[1] === "error") error = value;
    else failureType = value;
  }
  // An assertion's own first line ("Expected values to be strictly equal:") says little without them.
  if (error.endsWith(":") && actual !== undefined && expected !== undefined) error = `${error} actual ${actual}, expected ${expected}`;
  return { error, failureType };
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1).replace(/''/g, "'");
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1);
  return value;
}
