/**
 * `docker-cri doctor` against engines outside the API range docker-cri speaks (1.26 to 1.51), on a
 * fake engine: one too old, and one whose own minimum is above 1.51. Both fail the Docker check with
 * the versions named, and the hint says what to do for either.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { startFakeEngine, type FakeEngineOptions } from "../fakes/fake-engine.js";
import { repoRoot } from "../kit/daemon.js";
import { daemonNodeArgs } from "../kit/daemon-entry.js";

/** The doctor's "Docker" line and the hint line under it. */
async function dockerCheck(options: FakeEngineOptions): Promise<{ code: number; line: string; hint: string; endpoint: string }> {
  const nodeArgs = await daemonNodeArgs();
  const engine = await startFakeEngine([], options);
  try {
    const { code, out } = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, [...nodeArgs, "doctor", `--docker-endpoint=${engine.endpoint}`], { cwd: repoRoot, timeout: 60_000 }, (err, stdout) => {
        resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : -1, out: stdout });
      });
    });
    const lines = out.split("\n");
    const at = lines.findIndex((l) => l.startsWith("  FAIL  Docker: "));
    assert.ok(at >= 0, out);
    return { code, line: lines[at]?.slice("  FAIL  Docker: ".length) ?? "", hint: (lines[at + 1] ?? "").trim(), endpoint: engine.endpoint };
  } finally {
    await engine.close();
  }
}

const hint = "→ docker-cri speaks Docker API 1.26 (Docker 1.13.1) to 1.51: upgrade an older Docker Engine; for a newer one that refuses 1.51, start dockerd with DOCKER_MIN_API_VERSION=1.51 or upgrade docker-cri";

describe("docker-cri doctor outside the API range", () => {
  it("fails an engine whose minimum API version is above 1.51, naming both", async () => {
    const r = await dockerCheck({ apiVersion: "1.60", minApiVersion: "1.52", version: "31.0.0-fake" });
    assert.notEqual(r.code, 0);
    assert.equal(r.line, `docker API version 1.51 is not accepted: the daemon at ${r.endpoint} (Docker 31.0.0-fake) requires at least 1.52, and docker-cri speaks at most 1.51`);
    assert.equal(r.hint, hint);
  });

  it("fails an engine older than API 1.26", async () => {
    const r = await dockerCheck({ apiVersion: "1.24", minApiVersion: "1.12", version: "1.12.6-fake" });
    assert.notEqual(r.code, 0);
    assert.equal(r.line, `docker API version is older than 1.26: the daemon at ${r.endpoint} speaks 1.24`);
    assert.equal(r.hint, hint);
  });
});
