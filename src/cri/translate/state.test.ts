import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ContainerState, PodSandboxState } from "../../gen/index.js";
import { containerStateOf, sandboxStateOf } from "./state.js";

describe("state mapping", () => {
  it("makes a sandbox READY only while its container runs", () => {
    assert.equal(sandboxStateOf("running"), PodSandboxState.SANDBOX_READY);
    for (const s of ["created", "exited", "dead", "paused", ""]) assert.equal(sandboxStateOf(s), PodSandboxState.SANDBOX_NOTREADY);
  });

  it("maps Docker container states to CRI ones", () => {
    assert.equal(containerStateOf("created"), ContainerState.CONTAINER_CREATED);
    assert.equal(containerStateOf("running"), ContainerState.CONTAINER_RUNNING);
    assert.equal(containerStateOf("paused"), ContainerState.CONTAINER_RUNNING);
    assert.equal(containerStateOf("exited"), ContainerState.CONTAINER_EXITED);
    assert.equal(containerStateOf("dead"), ContainerState.CONTAINER_EXITED);
    assert.equal(containerStateOf("removing"), ContainerState.CONTAINER_UNKNOWN);
  });
});
