import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorForStatus } from "./status-error.js";

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
});
