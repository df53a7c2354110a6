import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { hasKind } from "../../errors/index.js";
import { AuthConfigSchema } from "../../gen/index.js";
import { encodeRegistryAuth } from "./registry-auth.js";

/** What dockerd does with the header: base64url (padded) → JSON. */
function decode(header: string): unknown {
  assert.match(header, /^[A-Za-z0-9_-]*={0,2}$/, "base64url alphabet");
  assert.equal(header.length % 4, 0, "padded like Go's base64.URLEncoding");
  return JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
}

describe("encodeRegistryAuth", () => {
  it("sends no header without credentials", () => {
    assert.equal(encodeRegistryAuth(undefined), undefined);
    assert.equal(encodeRegistryAuth(create(AuthConfigSchema, {})), undefined);
    assert.equal(encodeRegistryAuth(create(AuthConfigSchema, { serverAddress: "r.io" })), undefined);
  });

  it("carries username and password with the server address", () => {
    const a = encodeRegistryAuth(create(AuthConfigSchema, { username: "alice", password: "pa:ss/+?", serverAddress: "r.io" }));
    assert.ok(a);
    assert.deepEqual(decode(a.header), { username: "alice", password: "pa:ss/+?", serveraddress: "r.io" });
  });

  it("decodes `auth` into username and password", () => {
    const auth = Buffer.from("bob:se:cret").toString("base64");
    const a = encodeRegistryAuth(create(AuthConfigSchema, { auth }));
    assert.ok(a);
    assert.deepEqual(decode(a.header), { username: "bob", password: "se:cret" });
  });

  it("prefers explicit username and password over `auth`", () => {
    const a = encodeRegistryAuth(create(AuthConfigSchema, { username: "u", password: "p", auth: Buffer.from("x:y").toString("base64") }));
    assert.ok(a);
    assert.deepEqual(decode(a.header), { username: "u", password: "p" });
  });

  it("rejects a malformed `auth` without quoting it", () => {
    for (const auth of ["not base64 !!", Buffer.from("no-colon").toString("base64"), Buffer.from(":nouser").toString("base64")]) {
      assert.throws(
        () => encodeRegistryAuth(create(AuthConfigSchema, { auth })),
        (err: unknown) => hasKind(err, "InvalidArgument") && !err.message.includes(auth) && err.message.includes('"auth"'),
      );
    }
  });

  it("carries identity and registry tokens", () => {
    const a = encodeRegistryAuth(create(AuthConfigSchema, { identityToken: "refresh-1", serverAddress: "r.io" }));
    assert.ok(a);
    assert.deepEqual(decode(a.header), { serveraddress: "r.io", identitytoken: "refresh-1" });
    const b = encodeRegistryAuth(create(AuthConfigSchema, { registryToken: "bearer-1" }));
    assert.ok(b);
    assert.deepEqual(decode(b.header), { registrytoken: "bearer-1" });
  });

  it("gives different credentials different identities, and never contains the secret", () => {
    const a = encodeRegistryAuth(create(AuthConfigSchema, { username: "u", password: "one" }));
    const b = encodeRegistryAuth(create(AuthConfigSchema, { username: "u", password: "two" }));
    assert.ok(a && b);
    assert.notEqual(a.identity, b.identity);
    assert.match(a.identity, /^[a-f0-9]{64}$/);
  });
});
