import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DockerImage } from "../../docker/index.js";
import { parseImageEventLine } from "./image-events.js";
import { ImageSnapshot, type CachedImage } from "./image-snapshot.js";

const idA = `sha256:${"a".repeat(64)}`;
const idB = `sha256:${"b".repeat(64)}`;
const digest = `sha256:${"d".repeat(64)}`;

function image(id: string, repoTags: string[], repoDigests: string[] = []): CachedImage {
  const inspect: DockerImage = {
    id, repoTags, repoDigests, size: 10, created: "", author: "", architecture: "", os: "",
    config: { user: "", env: [], entrypoint: [], cmd: [], workingDir: "", labels: {}, stopSignal: "", exposedPorts: [], volumes: [] },
    rootFs: { type: "", layers: [] },
  };
  return { summary: { id, repoTags, repoDigests, size: 20, labels: {} }, inspect };
}

describe("ImageSnapshot.find", () => {
  const snap = new ImageSnapshot([image(idA, ["busybox:latest", "127.0.0.1:5000/x/app:v1"], [`127.0.0.1:5000/x/app@${digest}`]), image(idB, ["busybox:1"])], 0);
  const found = (spec: string, store: "classic" | "containerd" = "classic"): string | undefined => snap.find(spec, store)?.summary.id;

  it("finds an image by full id, with or without the algorithm", () => {
    assert.equal(found(idA), idA);
    assert.equal(found("b".repeat(64)), idB);
    assert.equal(found(`sha256:${"c".repeat(64)}`), undefined);
  });

  it("finds a name in every spelling Docker's lookup accepts, a name without tag meaning latest", () => {
    for (const spec of ["busybox", "busybox:latest", "docker.io/library/busybox", "docker.io/library/busybox:latest", "index.docker.io/library/busybox"]) assert.equal(found(spec), idA, spec);
    assert.equal(found("busybox:1"), idB);
    assert.equal(found("127.0.0.1:5000/x/app:v1"), idA);
    assert.equal(found(`127.0.0.1:5000/x/app@${digest}`), idA, "by repo digest");
  });

  it("leaves to Docker what names alone do not decide", () => {
    assert.equal(found("busybox:2"), undefined, "a name nobody has (Docker may still find an id prefix)");
    assert.equal(found("sha256:aaaa"), undefined, "an id prefix");
    assert.equal(found("aaaaaaaaaaaa"), undefined, "a short id");
    assert.equal(found(`127.0.0.1:5000/x/app:v1@${digest}`), undefined, "tag and digest together");
    assert.equal(found("Bad Ref!"), undefined, "what Docker refuses");
  });

  it("finds the containerd store's derived digest of each repository, and no digest of another id", () => {
    const c = new ImageSnapshot([image(idA, ["127.0.0.1:5000/x/app:v1", "other:v2"], [`127.0.0.1:5000/x/app@${idA}`, `127.0.0.1:5000/x/app@${digest}`])], 0);
    assert.equal(c.find(`docker.io/library/other@${idA}`, "containerd")?.summary.id, idA);
    assert.equal(c.find(`127.0.0.1:5000/x/app@${idA}`, "containerd")?.summary.id, idA);
    assert.equal(c.find(`127.0.0.1:5000/x/app@${digest}`, "containerd"), undefined);
    assert.equal(c.find(`127.0.0.1:5000/x/app@${digest}`, "classic")?.summary.id, idA, "the classic store keeps Docker's digests as they are");
  });

  it("answers nothing for a name two images claim (a snapshot taken mid-retag)", () => {
    const torn = new ImageSnapshot([image(idA, ["app:v1"]), image(idB, ["app:v1"])], 0);
    assert.equal(torn.find("app:v1", "classic"), undefined);
  });
});

describe("parseImageEventLine", () => {
  it("keeps image events and the container actions that change disk usage", () => {
    assert.deepEqual(parseImageEventLine('{"Type":"image","Action":"tag","Actor":{"ID":"sha256:1","Attributes":{"name":"a:v1"}},"time":1}'), { type: "image", action: "tag", id: "sha256:1" });
    assert.deepEqual(parseImageEventLine('{"Type":"container","Action":"destroy","Actor":{"ID":"c1"}}'), { type: "container", action: "destroy", id: "c1" });
    assert.equal(parseImageEventLine('{"Type":"container","Action":"start","Actor":{"ID":"c1"}}'), undefined);
    assert.equal(parseImageEventLine('{"Type":"network","Action":"connect","Actor":{"ID":"n1"}}'), undefined);
    assert.equal(parseImageEventLine("  "), undefined);
    assert.throws(() => parseImageEventLine("{nope"), /invalid JSON/);
  });
});
