import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { extractLabels, makeLabels, matchesSelector } from "./labels.js";

describe("labels and annotations", () => {
  it("stores annotations under the annotation. prefix and splits them back", () => {
    const docker = makeLabels({ app: "web", "io.kubernetes.pod.uid": "u1" }, { "kubernetes.io/config.seen": "2024", x: "y" });
    assert.deepEqual(docker, { app: "web", "io.kubernetes.pod.uid": "u1", "annotation.kubernetes.io/config.seen": "2024", "annotation.x": "y" });
    assert.deepEqual(extractLabels(docker), { labels: { app: "web", "io.kubernetes.pod.uid": "u1" }, annotations: { "kubernetes.io/config.seen": "2024", x: "y" } });
  });

  it("hides the shim's own labels, and the POD name label only on sandboxes", () => {
    const sandbox = { "io.kubernetes.docker.type": "podsandbox", "io.kubernetes.container.name": "POD", "io.kubernetes.docker-cri.runtime-handler": "runc", app: "a" };
    assert.deepEqual(extractLabels(sandbox).labels, { app: "a" });
    const container = { "io.kubernetes.docker.type": "container", "io.kubernetes.container.name": "nginx", "io.kubernetes.sandbox.id": "s", "io.kubernetes.container.logpath": "/l" };
    assert.deepEqual(extractLabels(container).labels, { "io.kubernetes.container.name": "nginx" });
  });

  it("matches label selectors exactly", () => {
    assert.equal(matchesSelector({ a: "1", b: "2" }, { a: "1" }), true);
    assert.equal(matchesSelector({ a: "1" }, { a: "2" }), false);
    assert.equal(matchesSelector({ a: "1" }, { c: "" }), false);
    assert.equal(matchesSelector({}, {}), true);
  });
});
