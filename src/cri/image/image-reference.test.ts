import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hasKind } from "../../errors/index.js";
import { familiarName, formatReference, parseImageReference, sameReference, tryParseImageReference, withDefaultTag } from "./image-reference.js";

const digest = `sha256:${"a".repeat(64)}`;

describe("parseImageReference normalises as Docker does", () => {
  const cases: [input: string, normalized: string, familiar: string][] = [
    ["busybox", "docker.io/library/busybox", "busybox"],
    ["busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"],
    ["library/busybox", "docker.io/library/busybox", "busybox"],
    ["docker.io/library/busybox:latest", "docker.io/library/busybox:latest", "busybox:latest"],
    ["index.docker.io/library/busybox", "docker.io/library/busybox", "busybox"],
    ["myuser/app:v1", "docker.io/myuser/app:v1", "myuser/app:v1"],
    ["docker.io/library/a/b", "docker.io/library/a/b", "library/a/b"],
    ["registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"],
    ["127.0.0.1:5000/run/app:v1", "127.0.0.1:5000/run/app:v1", "127.0.0.1:5000/run/app:v1"],
    ["localhost/app", "localhost/app", "localhost/app"],
    ["localhost:5000/app", "localhost:5000/app", "localhost:5000/app"],
    ["Registry.Example/app", "Registry.Example/app", "Registry.Example/app"],
    ["[::1]:5000/app", "[::1]:5000/app", "[::1]:5000/app"],
    [`busybox@${digest}`, `docker.io/library/busybox@${digest}`, `busybox@${digest}`],
    [`busybox:1@${digest}`, `docker.io/library/busybox:1@${digest}`, `busybox:1@${digest}`],
    ["a__b/c-d.e_f", "docker.io/a__b/c-d.e_f", "a__b/c-d.e_f"],
  ];
  for (const [input, normalized, familiar] of cases) {
    it(`"${input}"`, () => {
      const ref = parseImageReference(input);
      assert.equal(formatReference(ref), normalized);
      assert.equal(formatReference(ref, "familiar"), familiar);
    });
  }

  it("keeps the registry port apart from the tag", () => {
    const ref = parseImageReference("127.0.0.1:5000/app");
    assert.equal(ref.domain, "127.0.0.1:5000");
    assert.equal(ref.tag, undefined);
    assert.equal(formatReference(withDefaultTag(ref)), "127.0.0.1:5000/app:latest");
  });

  it("adds latest only when there is neither tag nor digest", () => {
    assert.equal(formatReference(withDefaultTag(parseImageReference("busybox"))), "docker.io/library/busybox:latest");
    assert.equal(formatReference(withDefaultTag(parseImageReference(`busybox@${digest}`))), `docker.io/library/busybox@${digest}`);
    assert.equal(formatReference(withDefaultTag(parseImageReference("busybox:1"))), "docker.io/library/busybox:1");
  });

  it("gives the familiar name Docker stores in RepoTags", () => {
    assert.equal(familiarName(parseImageReference("docker.io/library/busybox:1")), "busybox");
    assert.equal(familiarName(parseImageReference("docker.io/x/y")), "x/y");
    assert.equal(familiarName(parseImageReference("quay.io/x/y")), "quay.io/x/y");
  });
});

describe("parseImageReference rejects what Docker rejects", () => {
  const bad: [input: string, why: RegExp][] = [
    ["", /empty/],
    ["Busybox", /must be lowercase/],
    ["busybox:", /not a valid tag/],
    ["busybox:-x", /not a valid tag/],
    [`busybox:${"t".repeat(129)}`, /not a valid tag/],
    ["busybox@sha256:abc", /not a valid digest/],
    ["a".repeat(64).replace(/a/g, "f"), /image id/],
    ["bad_host.io/x", /not a valid registry host/],
    ["x//y", /not a valid repository name/],
    ["-x", /not a valid repository name/],
    ["x y", /not a valid repository name/],
    [":tag", /repository name is empty/],
    [`r.io/${"a".repeat(260)}`, /longer than 255/],
  ];
  for (const [input, why] of bad) {
    it(JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input), () => {
      assert.throws(() => parseImageReference(input), (err: unknown) => hasKind(err, "InvalidArgument") && why.test(err.message) && err.message.includes("Invalid image reference"));
      assert.equal(tryParseImageReference(input), undefined);
    });
  }
});

describe("sameReference", () => {
  const p = (s: string) => withDefaultTag(parseImageReference(s));
  it("matches across spellings", () => {
    assert.ok(sameReference(p("busybox"), p("docker.io/library/busybox:latest")));
    assert.ok(sameReference(p("registry.k8s.io/pause:3.10"), p("registry.k8s.io/pause:3.10")));
  });
  it("tells tags, repositories and digests apart", () => {
    assert.ok(!sameReference(p("busybox"), p("busybox:1")));
    assert.ok(!sameReference(p("busybox"), p("other/busybox")));
    assert.ok(sameReference(p(`busybox@${digest}`), p(`docker.io/library/busybox@${digest}`)));
    assert.ok(!sameReference(p(`busybox@${digest}`), p("busybox")));
  });
});
