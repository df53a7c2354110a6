import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CriError } from "./cri-error.js";
import { withContext } from "./with-context.js";

describe("withContext", () => {
  it("puts the context before the message, keeping the kind and the error as cause", () => {
    const docker = new CriError("FailedPrecondition", 'Docker "exec_create" failed: Container 3f2a is not running');
    const e = withContext(docker, 'Cannot exec in container "3f2a"');
    assert.equal(e.kind, "FailedPrecondition");
    assert.equal(e.message, 'Cannot exec in container "3f2a": Docker "exec_create" failed: Container 3f2a is not running');
    assert.equal(e.cause, docker);
  });

  it("says a plainer detail instead of the message when given one", () => {
    const docker = new CriError("InvalidArgument", "Docker said something long");
    const e = withContext(docker, 'Cannot start container "3f2a"', "the executable was not found");
    assert.deepEqual([e.kind, e.message, e.cause], ["InvalidArgument", 'Cannot start container "3f2a": the executable was not found', docker]);
  });

  it("wraps what is not a CriError as toCriError does, the thrown value as cause", () => {
    const plain = new Error("EIO: i/o error, write");
    const e = withContext(plain, "Cannot copy");
    assert.deepEqual([e.kind, e.message, e.cause], ["Internal", "Cannot copy: EIO: i/o error, write", plain]);
    const aborted = new DOMException("This operation was aborted", "AbortError");
    const c = withContext(aborted, "Cannot pull");
    assert.deepEqual([c.kind, c.message, c.cause], ["Canceled", "Cannot pull: Request was canceled", aborted]);
  });
});
