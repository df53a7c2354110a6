import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NameRegistrar } from "./name-registrar.js";

describe("NameRegistrar", () => {
  it("reserves a name for one key; the same key again is fine, another key is AlreadyExists", () => {
    const r = new NameRegistrar();
    r.reserve("k8s_POD_a_ns_u_0", "id1");
    r.reserve("k8s_POD_a_ns_u_0", "id1");
    assert.throws(() => { r.reserve("k8s_POD_a_ns_u_0", "id2"); }, (err: unknown) => err instanceof Error && "kind" in err && err.kind === "AlreadyExists" && /reserved for "id1"/.test(err.message));
    assert.equal(r.keyOf("k8s_POD_a_ns_u_0"), "id1");
  });

  it("releases by name or by key", () => {
    const r = new NameRegistrar();
    r.reserve("a", "k1");
    r.reserve("b", "k1");
    r.reserve("c", "k2");
    r.release("c");
    assert.equal(r.keyOf("c"), undefined);
    r.releaseKey("k1");
    assert.equal(r.keyOf("a"), undefined);
    assert.equal(r.keyOf("b"), undefined);
    r.reserve("a", "k3");
    assert.equal(r.keyOf("a"), "k3");
  });
});
