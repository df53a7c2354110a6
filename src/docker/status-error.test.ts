import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DockerApiError, dockerApiErrorOf, errorForStatus } from "./status-error.js";

describe("errorForStatus", () => {
  it("maps what bad ids and names make Docker answer to client-error kinds", () => {
    // Go's HTTP server cleans "//" and ".." out of a path with a redirect; nothing can be named so.
    const redirect = errorForStatus("inspect_container", 301, "<a href=\"/v1.41/etc/shadow/json\">Moved Permanently</a>.");
    assert.equal(redirect.kind, "NotFound");
    assert.match(redirect.message, /cannot name a Docker object/);
    assert.equal(errorForStatus("inspect_container", 431, "431 Request Header Fields Too Large").kind, "InvalidArgument");
    assert.equal(errorForStatus("list_images", 414, "").kind, "InvalidArgument");
    assert.equal(errorForStatus("create_container", 400, { message: "No such container: 82de47a7" }).kind, "NotFound");
    assert.equal(errorForStatus("create_container", 400, { message: "invalid mount config" }).kind, "InvalidArgument");
  });

  it("tells state conflicts and a busy daemon from failures", () => {
    assert.equal(errorForStatus("update_container", 500, { message: "Cannot update container 1: cannot update a stopped container: unknown" }).kind, "FailedPrecondition");
    assert.equal(errorForStatus("start_container", 500, { message: "CDI device injection failed: unresolvable CDI devices vendor.com/gpu=0" }).kind, "FailedPrecondition");
    assert.equal(errorForStatus("disk_usage", 500, { message: "a disk usage operation is already running" }).kind, "Unavailable");
    assert.equal(errorForStatus("start_container", 500, { message: "OCI runtime create failed" }).kind, "Internal");
  });

  it("keeps the DockerApiError behind the CriError, where callers read its typed fields", () => {
    const err = errorForStatus("create_container", 409, { message: "Conflict. The container name \"/k8s_c\" is already in use by container \"c657b274a1cf9025f77e147c462d8e60dd30578fd119073b86e6edf410fd9273\". You have to remove (or rename) that container to be able to reuse that name." });
    assert.equal(err.kind, "AlreadyExists");
    const api = dockerApiErrorOf(err);
    assert.ok(api instanceof DockerApiError);
    assert.equal(api.holderId, "c657b274a1cf9025f77e147c462d8e60dd30578fd119073b86e6edf410fd9273");
    assert.equal(dockerApiErrorOf(new Error("Cannot create", { cause: err })), api);
    assert.equal(dockerApiErrorOf(new Error("no Docker answer behind this")), undefined);
    assert.equal(dockerApiErrorOf("not an error"), undefined);
  });
});

// Docker 20.10.24's answers (runc 1.1), as this host's dockerd gave them, unless said otherwise.
describe("DockerApiError fields", () => {
  const answer = (statusCode: number, message: string) => new DockerApiError("op", statusCode, message);

  it("reads a name conflict's holder", () => {
    const holder = "c657b274a1cf9025f77e147c462d8e60dd30578fd119073b86e6edf410fd9273";
    assert.equal(answer(409, `Conflict. The container name "/k8s_c_p_ns_u_0" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`).holderId, holder);
    // Older Dockers wrote the id without quotes.
    assert.equal(answer(409, `Conflict. The name "/k8s_c" is already in use by container ${holder}. You have to remove (or rename) that container to be able to reuse that name.`).holderId, holder);
    assert.equal(answer(409, "network with name kubenet already exists").holderId, undefined);
    assert.equal(answer(409, "Container c657b274a1cf is not running").holderId, undefined);
  });

  it("reads the capability Docker does not know", () => {
    assert.equal(answer(400, 'invalid CapAdd: unknown capability: "CAP_NOSUCH"').unknownCapability, "CAP_NOSUCH");
    assert.equal(answer(400, 'invalid CapAdd: unknown capability: "cap_perfmon"').unknownCapability, "CAP_PERFMON");
    assert.equal(answer(400, 'invalid CapAdd: capability not supported by your kernel or not available in the current environment: "CAP_BPF"').unknownCapability, undefined);
    assert.equal(answer(404, "No such image: docker-cri.invalid/capability-probe:none").unknownCapability, undefined);
  });

  it("reads why runc or Docker refused a start", () => {
    const runc = "failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process:";
    assert.deepEqual(answer(400, `${runc} exec: "nosuch": executable file not found in $PATH: unknown`).startRefusal, { reason: "executable-not-in-path", executable: "nosuch" });
    assert.deepEqual(answer(400, `${runc} exec: "/nosuch": stat /nosuch: no such file or directory: unknown`).startRefusal, { reason: "executable-missing", executable: "/nosuch" });
    assert.deepEqual(answer(400, `${runc} exec: "/etc/passwd": permission denied: unknown`).startRefusal, { reason: "not-executable", executable: "/etc/passwd" });
    // runc 1.2 (Docker 27 and newer) says "error during container init" before the same words.
    assert.deepEqual(answer(400, `${runc} error during container init: exec: "nosuch": executable file not found in $PATH: unknown`).startRefusal, { reason: "executable-not-in-path", executable: "nosuch" });
    // Docker 20.10 with runc 1.0: another wrapping, the same words.
    assert.deepEqual(answer(400, 'OCI runtime create failed: container_linux.go:380: starting container process caused: exec: "/bin/x": no such file or directory: unknown').startRefusal, { reason: "executable-missing", executable: "/bin/x" });
    assert.deepEqual(answer(500, "CDI device injection failed: unresolvable CDI devices vendor.com/gpu=0\nmore").startRefusal, { reason: "unresolvable-cdi-devices", devices: "vendor.com/gpu=0" });
    assert.equal(answer(500, `${runc} error mounting "/x" to rootfs at "/y": no such device: unknown`).startRefusal, undefined);
  });
});
