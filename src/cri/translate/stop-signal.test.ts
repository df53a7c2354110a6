import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Signal } from "../../gen/index.js";
import { criStopSignal, dockerStopSignal } from "./stop-signal.js";

describe("stop signals", () => {
  it("spells CRI signals as Docker does, real-time ones with + and -", () => {
    assert.equal(dockerStopSignal(Signal.RUNTIME_DEFAULT), "");
    assert.equal(dockerStopSignal(Signal.SIGTERM), "SIGTERM");
    assert.equal(dockerStopSignal(Signal.SIGRTMINPLUS3), "SIGRTMIN+3");
    assert.equal(dockerStopSignal(Signal.SIGRTMAXMINUS14), "SIGRTMAX-14");
  });

  it("reads Docker's spelling back", () => {
    assert.equal(criStopSignal("SIGQUIT"), Signal.SIGQUIT);
    assert.equal(criStopSignal("quit"), Signal.SIGQUIT);
    assert.equal(criStopSignal("SIGRTMIN+3"), Signal.SIGRTMINPLUS3);
    assert.equal(criStopSignal(""), Signal.RUNTIME_DEFAULT);
    assert.equal(criStopSignal("15"), Signal.RUNTIME_DEFAULT);
  });
});
