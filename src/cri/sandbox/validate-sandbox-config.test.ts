import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { RunPodSandboxRequestSchema, type RunPodSandboxRequest } from "../../gen/index.js";
import { validateSandboxRequest } from "./validate-sandbox-config.js";

type Init = Exclude<MessageInitShape<typeof RunPodSandboxRequestSchema>, RunPodSandboxRequest>;
const req = (init: Init) => create(RunPodSandboxRequestSchema, init);
const meta = { name: "web-0", namespace: "default", uid: "0d3c9b6e-1f2a", attempt: 1 };
const invalid = (re: RegExp) => (err: unknown) => err instanceof Error && "kind" in err && err.kind === "InvalidArgument" && re.test(err.message);

describe("RunPodSandbox validation", () => {
  it("accepts a kubelet-like request", () => {
    const v = validateSandboxRequest(req({ config: { metadata: meta, dnsConfig: { servers: ["10.96.0.10", "fd00::a"], searches: ["default.svc.cluster.local"], options: ["ndots:5"] }, portMappings: [{ containerPort: 80, hostPort: 0 }] } }));
    assert.equal(v.metadata.name, "web-0");
  });

  it("needs a config and metadata with name, namespace and uid", () => {
    assert.throws(() => validateSandboxRequest(req({})), invalid(/needs a config/));
    assert.throws(() => validateSandboxRequest(req({ config: {} })), invalid(/needs config.metadata/));
    assert.throws(() => validateSandboxRequest(req({ config: { metadata: { ...meta, uid: "" } } })), invalid(/uid is empty/));
  });

  it("refuses metadata that would break the Docker name", () => {
    assert.throws(() => validateSandboxRequest(req({ config: { metadata: { ...meta, name: "a_b" } } })), invalid(/name "a_b" may only contain/));
    assert.throws(() => validateSandboxRequest(req({ config: { metadata: { ...meta, namespace: "x/y" } } })), invalid(/namespace "x\/y"/));
  });

  it("refuses bad ports and DNS entries that would inject resolv.conf lines", () => {
    assert.throws(() => validateSandboxRequest(req({ config: { metadata: meta, portMappings: [{ containerPort: 0 }] } })), invalid(/container port 0/));
    assert.throws(() => validateSandboxRequest(req({ config: { metadata: meta, portMappings: [{ containerPort: 1, hostPort: 70000 }] } })), invalid(/host port 70000/));
    assert.throws(() => validateSandboxRequest(req({ config: { metadata: meta, portMappings: [{ containerPort: 1, hostIp: "nope" }] } })), invalid(/host IP "nope"/));
    assert.throws(() => validateSandboxRequest(req({ config: { metadata: meta, dnsConfig: { servers: ["dns.example"] } } })), invalid(/server "dns.example"/));
    assert.throws(() => validateSandboxRequest(req({ config: { metadata: meta, dnsConfig: { searches: ["a\nnameserver 6.6.6.6"] } } })), invalid(/whitespace/));
  });
});
