import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DockerImage } from "../../docker/index.js";
import { CriError } from "../../errors/index.js";
import { ImageIdentities } from "./image-identity.js";

const idA = `sha256:${"a".repeat(64)}`;
const idB = `sha256:${"b".repeat(64)}`;
const idGone = `sha256:${"c".repeat(64)}`;
const d1 = `sha256:${"1".repeat(64)}`;
const d2 = `sha256:${"2".repeat(64)}`;
const d3 = `sha256:${"3".repeat(64)}`;

function image(id: string, repoTags: string[], repoDigests: string[]): DockerImage {
  return { id, repoTags, repoDigests, size: 0, created: "", author: "", architecture: "amd64", os: "linux", config: { env: [], entrypoint: [], cmd: [], user: "", workingDir: "", labels: {}, exposedPorts: [], volumes: [], stopSignal: "" }, rootFs: { type: "layers", layers: [] } };
}

describe("ImageIdentities", () => {
  it("reports the container's own repository's digest, the same answer for the same container, and the id alone for an image without digests", async () => {
    const images = new Map<string, DockerImage>([
      [idA, image(idA, ["registry.local/app:v1", "mirror.local/app:v1"], [`mirror.local/app@${d1}`, `registry.local/app@${d2}`])],
      [idB, image(idB, ["local/built:v1"], [])],
    ]);
    let inspects = 0;
    const ids = new ImageIdentities({
      inspect: (nameOrId: string) => {
        inspects++;
        const img = images.get(nameOrId);
        return img === undefined ? Promise.reject(new CriError("NotFound", `No such image: ${nameOrId}`)) : Promise.resolve(img);
      },
    }, () => "classic");
    const signal = new AbortController().signal;
    const a = await ids.resolve("registry.local/app:v1", idA, signal);
    assert.deepEqual(a, { imageRef: `docker-pullable://registry.local/app@${d2}`, imageId: idA });
    assert.deepEqual(await ids.resolve("registry.local/app:v1", idA, signal), a, "the same answer for the same name and id");
    assert.deepEqual(await ids.resolve("mirror.local/app:v1", idA, signal), { imageRef: `docker-pullable://mirror.local/app@${d1}`, imageId: idA });
    assert.equal(inspects, 1, "one image inspect for every container of the image");
    // Two images without digests (and one removed under its containers) each keep their own id.
    assert.deepEqual(await ids.resolve("local/built:v1", idB, signal), { imageRef: `docker://${idB}`, imageId: idB });
    assert.deepEqual(await ids.resolve("local/built:v1", idGone, signal), { imageRef: `docker://${idGone}`, imageId: idGone });
    assert.deepEqual(await ids.resolve("local/built:v1", idB, signal), { imageRef: `docker://${idB}`, imageId: idB });
    assert.deepEqual(await ids.resolve("", "", signal), { imageRef: "", imageId: "" });
  });

  it("gives the new digest once the cached inspect has expired", async () => {
    let digests = [] as string[];
    const ids = new ImageIdentities({ inspect: () => Promise.resolve(image(idA, ["registry.local/app:v1"], digests)) }, () => "classic", 0);
    const signal = new AbortController().signal;
    assert.equal((await ids.resolve("registry.local/app:v1", idA, signal)).imageRef, `docker://${idA}`);
    digests = [`registry.local/app@${d3}`];
    assert.equal((await ids.resolve("registry.local/app:v1", idA, signal)).imageRef, `docker-pullable://registry.local/app@${d3}`);
  });
});
