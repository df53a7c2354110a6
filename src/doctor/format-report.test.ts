import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fail, ok, warn } from "./doctor-check.js";
import { formatReport } from "./format-report.js";

describe("formatReport", () => {
  it("prints one line per check, hints below, and counts problems and warnings", () => {
    const text = formatReport("docker-cri 0.1.0 doctor", [
      ok("Docker", "Docker 20.10 answers"),
      warn("CNI", "no config", "Install a pod network"),
      fail("Log driver", 'driver is "journald"', "Use json-file"),
    ]);
    assert.equal(text, [
      "docker-cri 0.1.0 doctor",
      "",
      "  ok    Docker: Docker 20.10 answers",
      "  WARN  CNI: no config",
      "        → Install a pod network",
      '  FAIL  Log driver: driver is "journald"',
      "        → Use json-file",
      "",
      "1 problem to fix before docker-cri can work; 1 warning.",
      "",
    ].join("\n"));
  });

  it("says when everything is in place", () => {
    assert.match(formatReport("h", [ok("A", "fine")]), /\nEverything docker-cri needs is in place\.\n$/);
    assert.match(formatReport("h", [warn("A", "hmm"), warn("B", "hmm")]), /\nNo problems that stop docker-cri; 2 warnings\.\n$/);
  });
});
