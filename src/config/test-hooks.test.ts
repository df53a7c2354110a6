import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseFlags } from "./flags.js";
import { parseTestHooks } from "./test-hooks.js";

describe("test hooks", () => {
  it("are all off unless their variable is set", () => {
    assert.deepEqual(parseTestHooks({}), { pauseAfterSandboxCreateMs: 0, streamingTokenTtlMs: 0 });
    const parsed = parseFlags([], {});
    assert.equal(parsed.kind === "run" ? parsed.config.testHooks.pauseAfterSandboxCreateMs : -1, 0);
  });

  it("reads the sandbox pause from the environment passed to parseFlags", () => {
    const parsed = parseFlags([], { DOCKER_CRI_TEST_PAUSE_AFTER_SANDBOX_CREATE_MS: "2500" });
    assert.equal(parsed.kind === "run" ? parsed.config.testHooks.pauseAfterSandboxCreateMs : -1, 2500);
  });

  it("rejects a value that is not milliseconds, naming the variable", () => {
    assert.throws(() => parseTestHooks({ DOCKER_CRI_TEST_PAUSE_AFTER_SANDBOX_CREATE_MS: "5s" }), /Invalid DOCKER_CRI_TEST_PAUSE_AFTER_SANDBOX_CREATE_MS "5s"/);
  });
});
