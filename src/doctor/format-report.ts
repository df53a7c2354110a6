import type { CheckResult } from "./doctor-check.js";

const labels = { ok: "ok  ", warn: "WARN", fail: "FAIL" } as const;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The doctor's report: one line per check, its hint indented below, and a one-line verdict. */
export function formatReport(header: string, results: readonly CheckResult[]): string {
  const lines = [header, ""];
  for (const r of results) {
    lines.push(`  ${labels[r.status]}  ${r.name}: ${r.summary}`);
    if (r.hint !== undefined) lines.push(`        → ${r.hint}`);
  }
  const failures = results.filter((r) => r.status === "fail").length;
  const warnings = results.filter((r) => r.status === "warn").length;
  lines.push("");
  if (failures === 0 && warnings === 0) lines.push("Everything docker-cri needs is in place.");
  else if (failures === 0) lines.push(`No problems that stop docker-cri; ${plural(warnings, "warning")}.`);
  else lines.push(`${plural(failures, "problem")} to fix before docker-cri can work; ${plural(warnings, "warning")}.`);
  return `${lines.join("\n")}\n`;
}
