/**
 * ImageService on local images, over the real socket against the real dockerd: ListImages (filters,
 * users, pinned), ImageStatus (every way of naming an image, verbose info), RemoveImage (every name,
 * idempotent, in use), ImageFsInfo, StreamImages, and bad input. Every image here is made for this
 * run (random content, a run label) and removed at the end; shared test images are never touched.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { status as grpcStatus } from "@grpc/grpc-js";
import { ImageService, RuntimeService, type Image } from "../../src/gen/index.js";
import { isGrpcError, type CriClient } from "../kit/cri-client.js";
import { startDaemon, type Daemon } from "../kit/daemon.js";
import { dockerJson, isRecord } from "../kit/docker-api.js";
import { buildUniqueImage, IMAGE_RUN_LABEL, inspectImage, newRunId, removeRunImages, tagImage } from "../kit/unique-image.js";

const run = newRunId();
const repo = `docker-cri-test-images-${run}`;
const containerLabel = `io.docker-cri.test.images-run`;

describe("ImageService on local images", () => {
  let daemon: Daemon;
  let cri: CriClient;
  /** What before() has set up so far, undone in reverse by after() even when before() failed halfway. */
  const undo: (() => Promise<unknown>)[] = [];
  const ids: Record<string, string> = {};

  before(async () => {
    undo.push(() => removeRunImages(run), removeRunContainers);
    ids.uid = await buildUniqueImage(`${repo}/uid:v1`, { runId: run, user: "1002" });
    ids.name = await buildUniqueImage(`${repo}/name:v1`, { runId: run, user: "www-data" });
    ids.group = await buildUniqueImage(`${repo}/group:v1`, { runId: run, user: "1003:1004" });
    ids.none = await buildUniqueImage(`${repo}/none:v1`, { runId: run });
    ids.pause = await buildUniqueImage(`${repo}/pause:v1`, { runId: run });
    daemon = await startDaemon({ args: ["--log-level=debug", `--pod-infra-container-image=${repo}/pause:v1`] });
    undo.push(async () => { await daemon.stop(); await daemon.cleanup(); });
    cri = daemon.client();
  });

  after(async () => {
    const errors: unknown[] = [];
    for (const step of undo.reverse()) await step().catch((err: unknown) => errors.push(err));
    if (errors.length > 0) throw errors[0];
  });

  async function listAll(): Promise<Image[]> {
    return (await cri.call(ImageService.method.listImages, {})).images;
  }

  it("lists every image with id, tags, size, user and pinned flag", async () => {
    const images = await listAll();
    const byId = new Map(images.map((i) => [i.id, i]));
    const uid = byId.get(ids.uid ?? "");
    assert.ok(uid, "the image with USER 1002 is listed");
    assert.match(uid.id, /^sha256:[a-f0-9]{64}$/);
    assert.deepEqual(uid.repoTags, [`${repo}/uid:v1`]);
    // Classic Docker gives an imported image no digest; the containerd store derives one from its
    // manifest digest, which is its id (see images-engine.test.ts).
    assert.deepEqual(uid.repoDigests, (await imageStore()) === "classic" ? [] : [`${repo}/uid@${uid.id}`]);
    assert.ok(uid.size > 64n * 1024n, `size ${uid.size}`);
    assert.equal(uid.uid?.value, 1002n);
    assert.equal(uid.username, "");
    assert.equal(byId.get(ids.name ?? "")?.username, "www-data");
    assert.equal(byId.get(ids.name ?? "")?.uid, undefined);
    assert.equal(byId.get(ids.group ?? "")?.uid?.value, 1003n);
    assert.equal(byId.get(ids.none ?? "")?.uid, undefined);
    assert.equal(byId.get(ids.none ?? "")?.username, "");
    assert.equal(byId.get(ids.pause ?? "")?.pinned, true, "the sandbox image is pinned");
    assert.equal(uid.pinned, false);
  });

  it("filters by reference as Docker does: short name, full name, tag, id", async () => {
    const filter = async (image: string): Promise<string[]> =>
      (await cri.call(ImageService.method.listImages, { filter: { image: { image } } })).images.map((i) => i.id);
    assert.deepEqual(await filter(`${repo}/uid`), [ids.uid], "a name without tag matches every tag");
    assert.deepEqual(await filter(`${repo}/uid:v1`), [ids.uid]);
    assert.deepEqual(await filter(`docker.io/${repo}/uid:v1`), [ids.uid], "the normalised form matches too");
    assert.deepEqual(await filter(`${repo}/uid:nope`), []);
    assert.deepEqual(await filter(ids.uid ?? ""), [ids.uid], "a full id");
    assert.deepEqual(await filter((ids.uid ?? "").slice(0, 20)), [ids.uid], "an id prefix");
    assert.deepEqual((await filter(`${repo}/*`)).sort(), Object.values(ids).sort(), "Docker's patterns pass through");
  });

  it("refuses a malformed filter pattern as InvalidArgument, which is where the classic store's own filter fails", async () => {
    // Go's path.Match grammar; [pattern, malformed]. The classic store fails the whole list (500) on a
    // malformed pattern once it has images, as here; the containerd store's filter lists nothing. docker-cri
    // refuses them on both, so the answer does not depend on the engine.
    const patterns: [string, boolean][] = [
      [`${repo}/uid[`, true], [`${repo}/[]`, true], [`${repo}/[^]`, true], [`${repo}/[a-]`, true], [`${repo}/u\\`, true],
      [`${repo}/[\\`, true], [`${repo}/[!-]`, true], [`${repo}/[\\]`, true], [`${repo}/[]]`, true],
      [`${repo}/[u]id`, false], [`${repo}/[^x]id`, false], [`${repo}/[a-z]id`, false], [`${repo}/\\uid`, false],
      [`${repo}/?id`, false], [`${repo}/[\\]]`, false],
    ];
    const classic = (await imageStore()) === "classic";
    for (const [pattern, malformed] of patterns) {
      const docker = await dockerJson({ method: "GET", path: "/images/json", query: { filters: JSON.stringify({ reference: { [pattern]: true } }) } })
        .then((v) => (Array.isArray(v) ? v.length : -1), (err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      const ours = await cri.call(ImageService.method.listImages, { filter: { image: { image: pattern } } }).then((r) => r.images.length, (err: unknown) => err);
      if (malformed) {
        if (classic) assert.ok(docker instanceof Error && /syntax error in pattern/.test(docker.message), `the classic store refuses ${pattern}: ${String(docker)}`);
        assert.ok(isGrpcError(ours, grpcStatus.INVALID_ARGUMENT, /^Invalid image filter .*(never closed|expected|escape)/), `${pattern} is malformed, we answered ${String(ours)}`);
      } else {
        assert.ok(!(docker instanceof Error), `Docker takes ${pattern}: ${String(docker)}`);
        assert.equal(ours, docker, `${pattern}: Docker lists ${String(docker)} images`);
      }
    }
  });

  it("answers ImageStatus by tag, full name, id and id prefix, with the user split as the kubelet expects", async () => {
    const status = async (image: string): Promise<Image | undefined> => (await cri.call(ImageService.method.imageStatus, { image: { image } })).image;
    for (const spec of [`${repo}/group:v1`, `docker.io/${repo}/group:v1`, ids.group ?? "", (ids.group ?? "").slice("sha256:".length, "sha256:".length + 12)]) {
      const img = await status(spec);
      assert.ok(img, `found by "${spec}"`);
      assert.equal(img.id, ids.group, `by "${spec}"`);
      assert.equal(img.uid?.value, 1003n);
      assert.deepEqual(img.repoTags, [`${repo}/group:v1`]);
    }
    assert.equal((await status(`${repo}/name:v1`))?.username, "www-data");
    assert.equal((await status(`${repo}/pause:v1`))?.pinned, true);
  });

  it("answers an empty ImageStatus for an unknown image", async () => {
    const r = await cri.call(ImageService.method.imageStatus, { image: { image: `${repo}/never:there` } });
    assert.equal(r.image, undefined);
    assert.deepEqual(r.info, {});
  });

  it("adds the image config and history as JSON in a verbose ImageStatus", async () => {
    const r = await cri.call(ImageService.method.imageStatus, { image: { image: `${repo}/uid:v1` }, verbose: true });
    const info: unknown = JSON.parse(r.info.info ?? "null");
    assert.ok(isRecord(info));
    assert.ok(isRecord(info.labels) && info.labels[IMAGE_RUN_LABEL] === run, "labels");
    const spec = info.imageSpec;
    assert.ok(isRecord(spec));
    assert.ok(isRecord(spec.config));
    assert.equal(spec.config.User, "1002");
    assert.deepEqual(spec.config.Cmd, ["/payload"]);
    assert.equal(spec.os, "linux");
    assert.ok(isRecord(spec.rootfs) && Array.isArray(spec.rootfs.diff_ids) && spec.rootfs.diff_ids.length === 1);
    assert.ok(Array.isArray(spec.history) && spec.history.length >= 1, "history");
    const first: unknown = spec.history[0];
    assert.ok(isRecord(first) && typeof first.created === "string");
    const plain = await cri.call(ImageService.method.imageStatus, { image: { image: `${repo}/uid:v1` } });
    assert.deepEqual(plain.info, {}, "no info without verbose");
  });

  it("removes an image with every name it has, and again without error", async () => {
    const id = await buildUniqueImage(`${repo}/multi:one`, { runId: run });
    await tagImage(id, `${repo}/multi`, "two");
    await tagImage(id, `${repo}/other-repo`, "three");
    await cri.call(ImageService.method.removeImage, { image: { image: `${repo}/multi:one` } });
    assert.equal(await inspectImage(id), undefined, "the image is gone");
    assert.equal(await inspectImage(`${repo}/other-repo:three`), undefined, "with its names in other repositories");
    await cri.call(ImageService.method.removeImage, { image: { image: `${repo}/multi:one` } });
    await cri.call(ImageService.method.removeImage, { image: { image: id } });
  });

  it("removes an image named by id", async () => {
    const id = await buildUniqueImage(`${repo}/byid:v1`, { runId: run });
    await cri.call(ImageService.method.removeImage, { image: { image: id } });
    assert.equal(await inspectImage(id), undefined);
  });

  it("answers concurrent removals of one image all with success, the image gone when each returns", async () => {
    // critest "should not fail on simultaneous RemoveImage calls": five at once, by id, each followed by ImageStatus.
    const id = await buildUniqueImage(`${repo}/concurrent:v1`, { runId: run });
    await tagImage(id, `${repo}/concurrent`, "v2");
    const specs = [id, id, `${repo}/concurrent:v1`, id, `${repo}/concurrent:v2`];
    const after = await Promise.all(specs.map(async (image) => {
      await cri.call(ImageService.method.removeImage, { image: { image } });
      return (await cri.call(ImageService.method.imageStatus, { image: { image: id } })).image;
    }));
    assert.deepEqual(after, [undefined, undefined, undefined, undefined, undefined]);
    assert.equal(await inspectImage(id), undefined);
  });

  it("refuses to remove an image a container uses, keeping every name, with FailedPrecondition", async () => {
    const id = await buildUniqueImage(`${repo}/used:v1`, { runId: run });
    await tagImage(id, `${repo}/used-too`, "v2");
    const created = await dockerJson({
      method: "POST",
      path: "/containers/create",
      query: { name: `docker-cri-test-images-${run}-user` },
      body: { Image: `${repo}/used:v1`, Cmd: ["/payload"], Labels: { [containerLabel]: run } },
    });
    const containerId = isRecord(created) && typeof created.Id === "string" ? created.Id : "";
    await assert.rejects(
      cri.call(ImageService.method.removeImage, { image: { image: `${repo}/used:v1` } }),
      (err: unknown) => isGrpcError(err, grpcStatus.FAILED_PRECONDITION, `in use by container "${containerId.slice(0, 12)}"`),
    );
    const still = await inspectImage(id);
    assert.ok(still, "the image is still there");
    assert.deepEqual([...(still.RepoTags as string[])].sort(), [`${repo}/used-too:v2`, `${repo}/used:v1`]); // RepoTags is a string array in Docker's answer
    await dockerJson({ method: "DELETE", path: `/containers/${containerId}`, query: { force: true } });
    await cri.call(ImageService.method.removeImage, { image: { image: `${repo}/used:v1` } });
    assert.equal(await inspectImage(id), undefined);
  });

  it("reports the image filesystem where the images live with Docker's layer bytes and container layers", async () => {
    const info = await dockerJson({ method: "GET", path: "/info" });
    // The containerd store keeps images in containerd's root (images-engine.test.ts checks which).
    const root = isRecord(info) && (await imageStore()) === "classic" ? info.DockerRootDir : (await cri.call(ImageService.method.imageFsInfo, {})).imageFilesystems[0]?.fsId?.mountpoint;
    assert.ok(typeof root === "string" && root !== "");
    const big = await buildUniqueImage(`${repo}/big:v1`, { runId: run, bytes: 1024 * 1024 });
    const builtNs = BigInt(Date.now()) * 1_000_000n;
    // ImageFsInfo answers its last /system/df reading and takes a new one in the background once
    // the import's event has arrived (docs/images.md, "Served from memory"): ask until a reading
    // taken after the import answers, within the documented bound.
    const deadline = Date.now() + 40_000;
    let r = await cri.call(ImageService.method.imageFsInfo, {});
    while ((r.imageFilesystems[0]?.timestamp ?? 0n) < builtNs && Date.now() < deadline) {
      await sleep(100);
      r = await cri.call(ImageService.method.imageFsInfo, {});
    }
    assert.ok((r.imageFilesystems[0]?.timestamp ?? 0n) >= builtNs, "a reading taken after the import came within 40 s");
    assert.equal(r.imageFilesystems.length, 1);
    const fs = r.imageFilesystems[0];
    assert.ok(fs);
    assert.equal(fs.fsId?.mountpoint, root);
    assert.ok((fs.usedBytes?.value ?? 0n) >= 1024n * 1024n, `used bytes ${fs.usedBytes?.value} include our 1 MiB layer`);
    assert.ok((fs.inodesUsed?.value ?? 0n) > 0n, "inodes from statfs");
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    assert.ok(nowNs - fs.timestamp < 60_000_000_000n && fs.timestamp > 0n, "timestamp in nanoseconds");
    const containers = r.containerFilesystems[0];
    assert.equal(r.containerFilesystems.length, 1);
    assert.ok(containers);
    assert.equal(containers.fsId?.mountpoint, root);
    assert.ok(containers.usedBytes !== undefined);
    assert.ok(big.startsWith("sha256:"));
  });

  it("streams the images in StreamImages", async () => {
    const answers = await cri.stream(ImageService.method.streamImages, { filter: { image: { image: `${repo}/uid` } } });
    const got = answers.flatMap((a) => a.images);
    assert.deepEqual(got.map((i) => i.id), [ids.uid]);
  });

  it("rejects bad input with InvalidArgument and keeps serving", async () => {
    await assert.rejects(cri.call(ImageService.method.imageStatus, {}), (e: unknown) => isGrpcError(e, grpcStatus.INVALID_ARGUMENT, '"image.image" is empty'));
    await assert.rejects(cri.call(ImageService.method.removeImage, { image: { image: "" } }), (e: unknown) => isGrpcError(e, grpcStatus.INVALID_ARGUMENT));
    await assert.rejects(cri.call(ImageService.method.pullImage, { image: { image: "" } }), (e: unknown) => isGrpcError(e, grpcStatus.INVALID_ARGUMENT));
    await assert.rejects(
      cri.call(ImageService.method.pullImage, { image: { image: "Not/Lower:case" } }),
      (e: unknown) => isGrpcError(e, grpcStatus.INVALID_ARGUMENT, 'Invalid image reference "Not/Lower:case": the repository name must be lowercase'),
    );
    await assert.rejects(
      cri.call(ImageService.method.pullImage, { image: { image: "x:y" }, auth: { auth: "%%%" } }),
      (e: unknown) => isGrpcError(e, grpcStatus.INVALID_ARGUMENT, '"auth" is not the base64 encoding'),
    );
    await assert.rejects(cri.call(ImageService.method.imageStatus, { image: { image: "Bad Ref!" } }), (e: unknown) => isGrpcError(e, grpcStatus.INVALID_ARGUMENT));
    const v = await cri.call(RuntimeService.method.version, {});
    assert.equal(v.runtimeName, "docker");
  });
});

/** The engine's image store, as `docker info` shows it (DriverStatus driver-type of a containerd snapshotter). */
async function imageStore(): Promise<"classic" | "containerd"> {
  const info = await dockerJson({ method: "GET", path: "/info" });
  const status: unknown = isRecord(info) ? info.DriverStatus : undefined;
  const containerd = Array.isArray(status) && (status as unknown[]).some((p) => Array.isArray(p) && p[0] === "driver-type" && String(p[1]).startsWith("io.containerd.snapshotter")); // an array of JSON values
  return containerd ? "containerd" : "classic";
}

async function removeRunContainers(): Promise<void> {
  const listed = await dockerJson({ method: "GET", path: "/containers/json", query: { all: true, filters: JSON.stringify({ label: [`${containerLabel}=${run}`] }) } });
  for (const c of Array.isArray(listed) ? listed : []) {
    if (isRecord(c) && typeof c.Id === "string") await dockerJson({ method: "DELETE", path: `/containers/${c.Id}`, query: { force: true } });
  }
}
