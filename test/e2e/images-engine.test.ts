/**
 * The ImageService contract on whatever engine the tests run against (the system dockerd, or the one
 * DOCKER_CRI_TEST_DOCKER_SOCKET names: `npm run test:engines` runs this file on Docker 20.10, 26 and
 * 28, each with the classic and the containerd image store). Docker's answers differ between the
 * stores (ids are config or manifest digests, pulled-by-digest names land among RepoTags, the list
 * and inspect give different sizes and digests); what the kubelet sees must not:
 * - one image id in PullImage, ImageStatus, ListImages, ContainerStatus and ListContainers, and it is
 *   Docker's own id (of the image and of the container's `Image`);
 * - the same repo_tags, repo_digests and size in ListImages (full and filtered) and ImageStatus,
 *   never a digest among the tags;
 * - the pause image pinned in both; RemoveImage by tag, digest and id, of an image with several
 *   names, idempotent, and FailedPrecondition while a container uses it;
 * - ImageFsInfo at the directory the images really live in.
 * Images are made for this run (random layers) in a real local registry and removed at the end.
 */
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { status as grpcStatus } from "@grpc/grpc-js";
import { ImageService, RuntimeService, type Image } from "../../src/gen/index.js";
import { isGrpcError, type CriClient } from "../kit/cri-client.js";
import type { Daemon } from "../kit/daemon.js";
import { dockerJson, isRecord } from "../kit/docker-api.js";
import { PAUSE_IMAGE } from "../kit/images.js";
import { registryUnavailable, startRegistry, type LocalRegistry } from "../kit/registry.js";
import { buildUniqueImage, inspectImage, newRunId, pushImage, removeRunImages, tagImage } from "../kit/unique-image.js";
import { newRun, removeRunContainers, runSandbox, startSandboxDaemon } from "../kit/sandbox-run.js";

const run = newRunId();
const skip = await registryUnavailable();

interface Engine {
  readonly version: string;
  readonly store: "classic" | "containerd";
  readonly rootDir: string;
  readonly driver: string;
}

describe("ImageService keeps its contract on this engine's image store", { skip }, () => {
  let registry: LocalRegistry;
  let daemon: Daemon;
  let cri: CriClient;
  let engine: Engine;
  const undo: (() => Promise<unknown>)[] = [];
  /** `<registry>/<run>/app:v1` and its pushed manifest digest. */
  let app: string;
  let appDigest: string;

  before(async () => {
    undo.push(() => removeRunImages(run));
    engine = await readEngine();
    registry = await startRegistry();
    undo.push(() => registry.stop());
    app = `${registry.host}/${run}/app:v1`;
    appDigest = await pushFresh(app);
    daemon = await startSandboxDaemon({ args: ["--log-level=debug"] });
    undo.push(async () => { await daemon.stop(); await daemon.cleanup(); });
    cri = daemon.client();
  });

  after(async () => {
    const errors: unknown[] = [];
    for (const step of undo.reverse()) await step().catch((err: unknown) => errors.push(err));
    if (errors.length > 0) throw errors[0];
  });

  async function status(image: string): Promise<Image | undefined> {
    return (await cri.call(ImageService.method.imageStatus, { image: { image } })).image;
  }
  async function listed(filter = ""): Promise<Image[]> {
    return (await cri.call(ImageService.method.listImages, filter === "" ? {} : { filter: { image: { image: filter } } })).images;
  }

  /** Every reading of the image agrees: ImageStatus by each name and by id, ListImages in full and filtered by each name. */
  async function assertOneImage(id: string, label: string): Promise<Image> {
    const byId = await status(id);
    assert.ok(byId, `${label}: ImageStatus by id`);
    assert.equal(byId.id, id);
    const shape = (i: Image): unknown => ({ id: i.id, repoTags: i.repoTags, repoDigests: i.repoDigests, size: i.size, pinned: i.pinned, uid: i.uid?.value, username: i.username });
    for (const tag of byId.repoTags) assert.ok(!tag.includes("@"), `${label}: a digest among the tags: ${tag}`);
    for (const d of byId.repoDigests) assert.match(d, /@sha256:[0-9a-f]{64}$/, label);
    const all = (await listed()).filter((i) => i.id === id);
    assert.equal(all.length, 1, `${label}: listed once`);
    assert.deepEqual(shape(all[0] as Image), shape(byId), `${label}: ListImages and ImageStatus agree (${engine.version}, ${engine.store} store)`);
    for (const name of [...byId.repoTags, ...byId.repoDigests]) {
      assert.deepEqual(shape((await status(name)) as Image), shape(byId), `${label}: ImageStatus by "${name}"`);
      const filtered = (await listed(name)).filter((i) => i.id === id);
      assert.equal(filtered.length, 1, `${label}: ListImages filtered by "${name}" finds it`);
      assert.deepEqual(shape(filtered[0] as Image), shape(byId), `${label}: ListImages filtered by "${name}"`);
    }
    const docker = await inspectImage(id);
    assert.equal(docker?.Id, id, `${label}: the id is Docker's`);
    assert.ok(byId.size > 0n, `${label}: a size`);
    return byId;
  }

  it("gives one id, the same names and one size after a pull by tag, and the container's image_id is that id", async () => {
    const { imageRef } = await cri.call(ImageService.method.pullImage, { image: { image: app } });
    const img = await assertOneImage(imageRef, "pulled by tag");
    assert.deepEqual(img.repoTags, [app]);
    assert.ok(img.repoDigests.includes(`${registry.host}/${run}/app@${appDigest}`), `the pushed digest is among ${JSON.stringify(img.repoDigests)}`);
    assert.equal(img.uid?.value, 1002n);
    const docker = await dockerJson({ method: "GET", path: "/images/json" });
    const raw: unknown = Array.isArray(docker) ? (docker as unknown[]).find((i) => isRecord(i) && i.Id === imageRef) : undefined; // an array of JSON values
    assert.ok(isRecord(raw), "Docker lists it under the same id");
    assert.equal(String(img.size), String(raw.Size), "the size is /images/json's");

    const pods = newRun();
    try {
      const podSandboxId = await runSandbox(cri, pods.pod("ids"));
      const { containerId } = await cri.call(RuntimeService.method.createContainer, {
        podSandboxId,
        config: { metadata: { name: "ids", attempt: 0 }, image: { image: imageRef, userSpecifiedImage: app }, labels: pods.selector },
        sandboxConfig: pods.pod("ids"),
      });
      const cs = (await cri.call(RuntimeService.method.containerStatus, { containerId })).status;
      assert.equal(cs?.imageId, imageRef, "ContainerStatus.image_id");
      assert.equal(cs.imageRef, `docker-pullable://${registry.host}/${run}/app@${appDigest}`);
      const containers = (await cri.call(RuntimeService.method.listContainers, { filter: { id: containerId } })).containers;
      assert.deepEqual(containers.map((c) => c.imageId), [imageRef], "Container.image_id");
      const dockerContainer = await dockerJson({ method: "GET", path: `/containers/${containerId}/json` });
      assert.equal(isRecord(dockerContainer) ? dockerContainer.Image : undefined, imageRef, "Docker's container Image is the same id");
      await assert.rejects(
        cri.call(ImageService.method.removeImage, { image: { image: app } }),
        (err: unknown) => isGrpcError(err, grpcStatus.FAILED_PRECONDITION, `in use by container "${containerId.slice(0, 12)}"`),
      );
      assert.deepEqual((await status(imageRef))?.repoTags, [app], "a refused removal keeps every name");
      await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId });
    } finally {
      await removeRunContainers(pods);
    }
    await cri.call(ImageService.method.removeImage, { image: { image: app } });
    assert.equal(await status(imageRef), undefined, "removed by tag");
    const listed = (await cri.call(ImageService.method.listImages, {})).images.map((i) => i.id);
    assert.ok(!listed.includes(imageRef), "ListImages right after RemoveImage leaves the image out");
    await cri.call(ImageService.method.removeImage, { image: { image: app } });
  });

  it("keeps a pull by digest's name out of the tags, and removes the image by that digest", async () => {
    const byDigest = `${registry.host}/${run}/app@${appDigest}`;
    const { imageRef } = await cri.call(ImageService.method.pullImage, { image: { image: byDigest } });
    const img = await assertOneImage(imageRef, "pulled by digest");
    assert.deepEqual(img.repoTags, [], "no tag: Docker records only the digest name");
    assert.deepEqual(img.repoDigests, [byDigest]);
    await cri.call(ImageService.method.removeImage, { image: { image: byDigest } });
    assert.equal(await status(imageRef), undefined, "removed by digest");
    await cri.call(ImageService.method.removeImage, { image: { image: byDigest } });
  });

  it("reads a local image with several names the same way everywhere, and removes it by id with every name", async () => {
    const repo = `docker-cri-test-engine-${run}`;
    const id = await buildUniqueImage(`${repo}/local:v1`, { runId: run, user: "www-data" });
    await tagImage(id, `${repo}/local`, "v2");
    await tagImage(id, `${repo}/other`, "v3");
    // Made in Docker, not through CRI: docker-cri's image cache learns it from Docker's events, which
    // arrive a little after Docker's answers (the containerd store sends them later still). Wait for
    // them, as any client of another client's changes must (docs/images.md, "Served from memory").
    const deadline = Date.now() + 15_000;
    while ((await listed()).find((i) => i.id === id)?.repoTags.length !== 3 && Date.now() < deadline) await sleep(50);
    const img = await assertOneImage(id, "imported, three names");
    assert.deepEqual(img.repoTags, [`${repo}/local:v1`, `${repo}/local:v2`, `${repo}/other:v3`]);
    assert.equal(img.username, "www-data");
    // Classic Docker gives a local image no digest; the containerd store derives one per repository
    // from the image's manifest digest (its id), which no registry has (docs/images.md).
    assert.deepEqual(img.repoDigests, engine.store === "classic" ? [] : [`${repo}/local@${id}`, `${repo}/other@${id}`]);
    await cri.call(ImageService.method.removeImage, { image: { image: id } });
    assert.equal(await inspectImage(id), undefined, "removed by id");
    assert.equal(await inspectImage(`${repo}/other:v3`), undefined, "with its names in other repositories");
    await cri.call(ImageService.method.removeImage, { image: { image: id } });
  });

  it("pins the pause image in ListImages and ImageStatus alike", async () => {
    const pause = await status(PAUSE_IMAGE);
    assert.ok(pause);
    assert.equal(pause.pinned, true);
    assert.equal((await listed()).find((i) => i.id === pause.id)?.pinned, true);
    await assertOneImage(pause.id, "pause image");
  });

  it("answers a verbose ImageStatus with the image's OCI config and its rootfs as Docker has it", async () => {
    const { imageRef } = await cri.call(ImageService.method.pullImage, { image: { image: app } });
    const r = await cri.call(ImageService.method.imageStatus, { image: { image: app }, verbose: true });
    assert.equal(r.image?.id, imageRef);
    const info: unknown = JSON.parse(r.info.info ?? "null");
    const docker = await inspectImage(imageRef);
    assert.ok(isRecord(info) && isRecord(info.imageSpec) && isRecord(docker));
    const spec = info.imageSpec;
    assert.ok(isRecord(spec.config) && isRecord(spec.rootfs) && isRecord(docker.RootFS));
    assert.equal(spec.config.User, "1002");
    assert.deepEqual(spec.rootfs.diff_ids, docker.RootFS.Layers);
    assert.equal(spec.os, "linux");
    assert.ok(Array.isArray(spec.history) && spec.history.length >= 1);
    await cri.call(ImageService.method.removeImage, { image: { image: imageRef } });
  });

  it("reports the image filesystem where the images live: Docker's root (classic) or containerd's (containerd store)", async () => {
    const { imageRef } = await cri.call(ImageService.method.pullImage, { image: { image: app } });
    const r = await cri.call(ImageService.method.imageFsInfo, {});
    const fs = r.imageFilesystems[0];
    assert.ok(fs?.fsId);
    assert.equal(r.imageFilesystems.length, 1);
    const mount = fs.fsId.mountpoint;
    if (engine.store === "classic") {
      assert.equal(mount, engine.rootDir);
      assert.ok((await stat(join(mount, engine.driver))).isDirectory(), "the graph driver's layers are there");
    } else {
      assert.ok((await stat(join(mount, `io.containerd.snapshotter.v1.${engine.driver}`))).isDirectory(), `containerd's snapshotter is under ${mount}`);
      assert.ok((await stat(join(mount, "io.containerd.content.v1.content"))).isDirectory(), `containerd's content store is under ${mount}`);
    }
    assert.ok((fs.usedBytes?.value ?? 0n) >= 64n * 1024n, `used bytes ${fs.usedBytes?.value} include our 64 KiB layer`);
    assert.ok((fs.inodesUsed?.value ?? 0n) > 0n, "inodes from statfs of that directory");
    assert.deepEqual(r.containerFilesystems.map((c) => c.fsId?.mountpoint), [mount], "containers' writable layers on the same filesystem");
    await cri.call(ImageService.method.removeImage, { image: { image: imageRef } });
  });
});

async function readEngine(): Promise<Engine> {
  const info = await dockerJson({ method: "GET", path: "/info" });
  assert.ok(isRecord(info));
  const status = Array.isArray(info.DriverStatus) ? info.DriverStatus : [];
  const containerd = status.some((p: unknown) => Array.isArray(p) && p[0] === "driver-type" && String(p[1]).startsWith("io.containerd.snapshotter"));
  return { version: String(info.ServerVersion), store: containerd ? "containerd" : "classic", rootDir: String(info.DockerRootDir), driver: String(info.Driver) };
}

/** Builds a unique image (USER 1002), pushes it, removes it locally so that pulls download; returns the digest. */
async function pushFresh(ref: string): Promise<string> {
  const id = await buildUniqueImage(ref, { runId: run, user: "1002" });
  const digest = await pushImage(ref);
  await dockerJson({ method: "DELETE", path: `/images/${id}`, query: { force: true } });
  return digest;
}
