import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeContainerName, makeSandboxName, parseContainerName, parseSandboxName, randomizeName } from "./naming.js";

describe("Docker names of pods and containers", () => {
  const pod = { name: "web-0", namespace: "default", uid: "0d3c9b6e-1f2a-4b1e-9a77-5c1b2e3d4f50", attempt: 3 };

  it("names sandboxes k8s_POD_<pod>_<namespace>_<uid>_<attempt> and parses them back", () => {
    const name = makeSandboxName(pod);
    assert.equal(name, "k8s_POD_web-0_default_0d3c9b6e-1f2a-4b1e-9a77-5c1b2e3d4f50_3");
    assert.deepEqual(parseSandboxName(`/${name}`), pod);
  });

  it("tolerates the random suffix of a name recovered from a conflict", () => {
    const r = randomizeName(makeSandboxName(pod));
    assert.match(r, /_[0-9a-f]{8}$/);
    assert.deepEqual(parseSandboxName(r), pod);
  });

  it("names containers k8s_<container>_<pod>_<namespace>_<uid>_<attempt>", () => {
    const name = makeContainerName(pod, { name: "nginx", attempt: 1 });
    assert.equal(name, "k8s_nginx_web-0_default_0d3c9b6e-1f2a-4b1e-9a77-5c1b2e3d4f50_1");
    assert.deepEqual(parseContainerName(name), { name: "nginx", attempt: 1, podName: "web-0", podNamespace: "default", podUid: pod.uid });
  });

  it("refuses names that are not the shim's", () => {
    assert.equal(parseSandboxName("/festive_hopper"), undefined);
    assert.equal(parseSandboxName("/k8s_nginx_web-0_default_uid_1"), undefined, "a container, not a sandbox");
    assert.equal(parseSandboxName("/k8s_POD_a_b_c_x"), undefined, "attempt is not a number");
    assert.equal(parseSandboxName("/k8s_POD_a_b_c_4294967296"), undefined, "attempt overflows uint32");
    assert.equal(parseContainerName("/x_a_b_c_d_1"), undefined);
  });
});
