/**
 * imageNames and listedSize on Docker's own answers, recorded from Docker 26.1.5 and 28.5.2 with the
 * containerd image store and 28.5.2 with the classic one (test/fixtures/images/): the names and size
 * that ListImages (from `/images/json`) and ImageStatus (from `/images/{name}/json`) give must be
 * the same for one image, and a digest never a tag.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { recordedImageEngines } from "../../../test/fixtures/images/recorded.js";
import { parseImage, parseImageSummary } from "../../docker/image-types.js";
import { imageNames } from "./image-names.js";
import { listedSize } from "./listed-size.js";


const fixtures = recordedImageEngines();

describe("imageNames on recorded Docker answers", () => {
  assert.ok(fixtures.length >= 3);
  for (const fx of fixtures) {
    for (const [scenario, rec] of Object.entries(fx.scenarios)) {
      it(`${fx.engine} (${fx.imageStore} store), ${scenario}: list and inspect give the same names, no digest among tags`, () => {
        const inspected = parseImage(rec.inspect);
        assert.equal(rec.list.length, 1);
        const listed = parseImageSummary(rec.list[0], "[0]");
        assert.equal(listed.id, inspected.id, "one id in both answers");
        const fromList = imageNames(listed, fx.imageStore);
        const fromInspect = imageNames(inspected, fx.imageStore);
        assert.deepEqual(fromList, fromInspect);
        for (const tag of fromList.repoTags) assert.ok(!tag.includes("@"), `a digest among the tags: ${tag}`);
        for (const d of fromList.repoDigests) assert.match(d, /@sha256:[0-9a-f]{64}$/);
        assert.equal(new Set(fromList.repoDigests).size, fromList.repoDigests.length, "each digest once");
      });
    }
  }

  it("reads the containerd store's pull by digest, then two tags, as two tags and a digest per repository", () => {
    for (const fx of fixtures.filter((f) => f.imageStore === "containerd")) {
      const rec = fx.scenarios.pulledByDigestThenTaggedTwice;
      assert.ok(rec);
      const img = parseImage(rec.inspect);
      const repo = img.repoTags.find((t) => t.endsWith(":v1"))?.replace(/:v1$/, "") ?? "";
      const other = img.repoTags.find((t) => t.endsWith(":t2"))?.replace(/:t2$/, "") ?? "";
      assert.deepEqual(imageNames(img, fx.imageStore), { repoTags: [`${repo}:v1`, `${other}:t2`].sort(), repoDigests: [`${repo}@${img.id}`, `${other}@${img.id}`].sort() }, fx.engine);
    }
  });

  it("keeps the classic store's registry digest, which is not the image id", () => {
    const fx = fixtures.find((f) => f.imageStore === "classic");
    const rec = fx?.scenarios.pulledByTag;
    assert.ok(rec);
    const img = parseImage(rec.inspect);
    const names = imageNames(img, "classic");
    assert.equal(names.repoDigests.length, 1);
    assert.ok(!names.repoDigests[0]?.endsWith(img.id), "the manifest digest, not the config digest");
    assert.deepEqual(imageNames(parseImage(fx.scenarios.imported?.inspect), "classic").repoDigests, [], "an imported image has no digest");
  });

  it("drops the <none> placeholders of old daemons", () => {
    assert.deepEqual(imageNames({ id: "sha256:" + "a".repeat(64), repoTags: ["<none>:<none>"], repoDigests: ["<none>@<none>"] }, "classic"), { repoTags: [], repoDigests: [] });
  });
});

describe("listedSize on recorded Docker answers", () => {
  for (const fx of fixtures) {
    it(`${fx.engine} (${fx.imageStore} store): ImageStatus's size is the list's`, async () => {
      const rec = fx.scenarios.pulledByDigestThenTaggedTwice;
      assert.ok(rec);
      const img = parseImage(rec.inspect);
      const listed = rec.list.map((item, i) => parseImageSummary(item, `[${i}]`));
      const asked: unknown[] = [];
      const size = await listedSize({ list: (filters) => { asked.push(filters); return Promise.resolve(listed); } }, img, fx.imageStore, AbortSignal.timeout(1000));
      assert.equal(size, listed[0]?.size);
      if (fx.imageStore === "containerd") {
        assert.deepEqual(asked, [{ reference: [img.repoTags.find((t) => !t.includes("@"))] }], "asked by a tag, not in full");
        assert.ok(size > img.size, "containerd store: content and snapshots, more than inspect's snapshots");
      } else {
        assert.equal(size, img.size, "classic: both endpoints agree");
        assert.deepEqual(asked, [], "so the list is not asked");
      }
    });
  }

  it("asks for the dangling images when the image has no name, and in full when that misses", async () => {
    const id = "sha256:" + "b".repeat(64);
    const asked: unknown[] = [];
    const size = await listedSize(
      { list: (filters) => { asked.push(filters); return Promise.resolve(asked.length === 1 ? [] : [{ id, repoTags: [], repoDigests: [], size: 42, labels: {} }]); } },
      { id, repoTags: [], repoDigests: [], size: 7 },
      "containerd",
      AbortSignal.timeout(1000),
    );
    assert.equal(size, 42);
    assert.deepEqual(asked, [{ dangling: true }, {}]);
  });
});
