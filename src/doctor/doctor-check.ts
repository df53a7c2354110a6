/** The verdict of one doctor check: ok, something to look at (warn), or something that breaks docker-cri (fail). */
export type CheckStatus = "ok" | "warn" | "fail";

export interface CheckResult {
  /** Short title, e.g. "Docker", "CNI". */
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found, in plain words. */
  readonly summary: string;
  /** What to do about it, when there is something to do. */
  readonly hint?: string;
}

export function ok(name: string, summary: string): CheckResult {
  return { name, status: "ok", summary };
}

export function warn(name: string, summary: string, hint?: string): CheckResult {
  return hint === undefined ? { name, status: "warn", summary } : { name, status: "warn", summary, hint };
}

export function fail(name: string, summary: string, hint?: string): CheckResult {
  return hint === undefined ? { name, status: "fail", summary } : { name, status: "fail", summary, hint };
}
