import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ContainerInspect } from "../../src/docker/index.js";
import { filterPredicate } from "../../src/state-cache/index.js";

function container(id: string, status: string, labels: Record<string, string>): ContainerInspect {
  // Only the fields the list filters read.
  return { id, state: { status }, config: { labels } } as unknown as ContainerInspect;
}

describe("the cache's list filters", () => {
  const a = container("aaa111", "running", { "io.kubernetes.docker.type": "container", "io.kubernetes.sandbox.id": "s1", note: "x=y" });
  const b = container("bbb222", "exited", { "io.kubernetes.docker.type": "podsandbox" });

  it("needs every label: a bare key to be present, key=value to be equal (a value may hold '=')", () => {
    assert.equal(filterPredicate({ label: ["io.kubernetes.docker.type"] })(b), true);
    assert.equal(filterPredicate({ label: ["io.kubernetes.sandbox.id"] })(b), false);
    assert.equal(filterPredicate({ label: ["io.kubernetes.docker.type=container", "io.kubernetes.sandbox.id=s1"] })(a), true);
    assert.equal(filterPredicate({ label: ["io.kubernetes.docker.type=container", "io.kubernetes.sandbox.id=s2"] })(a), false);
    assert.equal(filterPredicate({ label: ["note=x=y"] })(a), true);
    assert.equal(filterPredicate({ label: ["note=x"] })(a), false);
    assert.equal(filterPredicate({ label: ["io.kubernetes.docker.type="] })(a), false, "an empty value matches only an empty label");
  });

  it("ORs ids (as substrings) and statuses, and ANDs the keys", () => {
    assert.equal(filterPredicate({ id: ["zzz", "a111"] })(a), true);
    assert.equal(filterPredicate({ id: ["zzz"] })(a), false);
    assert.equal(filterPredicate({ status: ["created", "exited"] })(b), true);
    assert.equal(filterPredicate({ status: ["created", "exited"] })(a), false);
    assert.equal(filterPredicate({ label: ["io.kubernetes.docker.type"], status: ["exited"], id: ["bbb"] })(b), true);
    assert.equal(filterPredicate({ label: ["io.kubernetes.docker.type"], status: ["exited"], id: ["aaa"] })(b), false);
  });

  it("matches everything without filters", () => {
    for (const c of [a, b]) assert.equal(filterPredicate({})(c), true);
  });
});
