import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Int64ValueSchema, SecurityProfile_ProfileType, SecurityProfileSchema } from "../../gen/index.js";
import { dockerUser, seccompSecurityOpts, selinuxSecurityOpts } from "./security-opts.js";

const profile = (profileType: SecurityProfile_ProfileType, localhostRef = "") => create(SecurityProfileSchema, { profileType, localhostRef });
const noRead = () => Promise.reject(new Error("must not read"));

describe("seccomp security options", () => {
  it("maps the CRI profile types", async () => {
    assert.deepEqual(await seccompSecurityOpts(profile(SecurityProfile_ProfileType.RuntimeDefault), "", "unconfined", noRead), []);
    assert.deepEqual(await seccompSecurityOpts(profile(SecurityProfile_ProfileType.Unconfined), "", "runtime-default", noRead), ["seccomp=unconfined"]);
    const opts = await seccompSecurityOpts(profile(SecurityProfile_ProfileType.Localhost, "/etc/p.json"), "", "unconfined", (p) => Promise.resolve(p === "/etc/p.json" ? '{ "defaultAction": "SCMP_ACT_ALLOW" }' : ""));
    assert.deepEqual(opts, ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']);
  });

  it("falls back to the deprecated path, then to the caller's default", async () => {
    assert.deepEqual(await seccompSecurityOpts(undefined, "unconfined", "runtime-default", noRead), ["seccomp=unconfined"]);
    assert.deepEqual(await seccompSecurityOpts(undefined, "docker/default", "unconfined", noRead), []);
    assert.deepEqual(await seccompSecurityOpts(undefined, "", "unconfined", noRead), ["seccomp=unconfined"]);
    assert.deepEqual(await seccompSecurityOpts(undefined, "", "runtime-default", noRead), []);
  });

  it("refuses relative, unreadable and non-JSON localhost profiles with InvalidArgument", async () => {
    const invalid = (re: RegExp) => (err: unknown) => err instanceof Error && "kind" in err && err.kind === "InvalidArgument" && re.test(err.message);
    await assert.rejects(seccompSecurityOpts(profile(SecurityProfile_ProfileType.Localhost, "p.json"), "", "unconfined", noRead), invalid(/absolute path/));
    await assert.rejects(seccompSecurityOpts(profile(SecurityProfile_ProfileType.Localhost, "/nope.json"), "", "unconfined"), invalid(/Cannot load seccomp profile "\/nope.json"/));
    await assert.rejects(seccompSecurityOpts(undefined, "localhost/x", "unconfined", () => Promise.resolve("{")), invalid(/absolute path/));
    await assert.rejects(seccompSecurityOpts(undefined, "localhost//p", "unconfined", () => Promise.resolve("{")), invalid(/not JSON/));
    await assert.rejects(seccompSecurityOpts(undefined, "bogus", "unconfined", noRead), invalid(/Invalid seccomp profile path "bogus"/));
  });
});

describe("other security options", () => {
  it("formats SELinux labels", () => {
    assert.deepEqual(selinuxSecurityOpts({ $typeName: "runtime.v1.SELinuxOption", user: "u", role: "", type: "t", level: "s0:c1" }), ["label=user:u", "label=type:t", "label=level:s0:c1"]);
    assert.deepEqual(selinuxSecurityOpts(undefined), []);
  });

  it("builds uid[:gid] and refuses a group without a user", () => {
    const v = (n: bigint) => create(Int64ValueSchema, { value: n });
    assert.equal(dockerUser(undefined, undefined), "");
    assert.equal(dockerUser(v(1000n), undefined), "1000");
    assert.equal(dockerUser(v(0n), v(3000n)), "0:3000");
    assert.throws(() => dockerUser(undefined, v(1n)), /run_as_group is set without run_as_user/);
  });
});
