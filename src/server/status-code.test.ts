import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { codeName } from "./status-code.js";

describe("codeName", () => {
  it("names every gRPC code in the metrics' and logs' spelling", () => {
    assert.equal(codeName(status.OK), "OK");
    assert.equal(codeName(status.NOT_FOUND), "NotFound");
    assert.equal(codeName(status.DEADLINE_EXCEEDED), "DeadlineExceeded");
    assert.equal(codeName(status.UNAUTHENTICATED), "Unauthenticated");
    const names = new Set(Object.values(status).filter((v): v is status => typeof v === "number").map(codeName));
    assert.equal(names.size, 17, "one distinct name for each of the 17 codes");
  });

  it("gives a code gRPC does not define as its number", () => {
    assert.equal(codeName(99), "99");
  });
});
