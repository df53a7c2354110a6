import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { remoteTarget } from "./remote-proxy.js";

describe("remoteTarget", () => {
  it("accepts unix:///path and a bare path, and refuses the rest naming the flag", () => {
    assert.equal(remoteTarget("unix:///run/containerd/containerd.sock"), "unix:///run/containerd/containerd.sock");
    assert.equal(remoteTarget("/run/crio/crio.sock"), "unix:///run/crio/crio.sock");
    for (const bad of ["tcp://127.0.0.1:1234", "unix://relative.sock", "localhost:1234"]) {
      assert.throws(() => remoteTarget(bad), { kind: "InvalidArgument", message: `Invalid --remote-runtime-endpoint "${bad}": use a unix socket path or unix:///path` });
    }
  });
});
