import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveRuntimeHandler } from "./resolve-runtime-handler.js";

describe("runtime handlers", () => {
  const signal = new AbortController().signal;
  let refreshed = 0;
  const runtimes = { known: ["runc"], refresh: () => { refreshed++; return Promise.resolve(["runc", "kata"]); } };

  it("maps the default handlers to Docker's default runtime", async () => {
    assert.equal(await resolveRuntimeHandler(runtimes, "", signal), undefined);
    assert.equal(await resolveRuntimeHandler(runtimes, "docker", signal), undefined);
    assert.equal(await resolveRuntimeHandler(runtimes, "runc", signal), "runc");
    assert.equal(refreshed, 0);
  });

  it("asks Docker again before refusing, and names Docker's runtimes when it refuses", async () => {
    assert.equal(await resolveRuntimeHandler(runtimes, "kata", signal), "kata");
    await assert.rejects(resolveRuntimeHandler(runtimes, "gvisor", signal), (err: unknown) =>
      err instanceof Error && "kind" in err && err.kind === "InvalidArgument" && err.message.includes('Unknown runtime handler "gvisor"') && err.message.includes('"kata"'));
    assert.equal(refreshed, 2);
  });
});
