/**
 * PullImage through docker-cri against real local registries on 127.0.0.1 (Debian's docker-registry):
 * plain, by digest, a wrong tag, basic-auth credentials in each CRI form (right and wrong), bearer
 * tokens (identity token and registry token through a token-auth front), a stalled download cancelled
 * by --image-pull-progress-deadline, and concurrent pulls merged into one Docker pull. Images pushed
 * here have random layers made for this run, so every pull really downloads, and they are removed at
 * the end with everything else this run made.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { ImageService, RuntimeService } from "../../src/gen/index.js";
import { isGrpcError, type CriClient } from "../kit/cri-client.js";
import type { Daemon } from "../kit/daemon.js";
import { dockerJson } from "../kit/docker-api.js";
import { registryUnavailable, startRegistry, type LocalRegistry } from "../kit/registry.js";
import { startRegistryProxy, type RegistryProxy } from "../kit/registry-proxy.js";
import { buildUniqueImage, inspectImage, newRunId, pushImage, removeRunImages } from "../kit/unique-image.js";
import { newRun, removeRunContainers, runSandbox, startSandboxDaemon } from "../kit/sandbox-run.js";

const run = newRunId();
const password = `pw-${newRunId()}-secret`;
const credentials = { username: `user-${run}`, password };
const bearer = { registryToken: `registry-token-${newRunId()}`, identityToken: `identity-token-${newRunId()}` };
/** Short enough for a quick stall test, long enough for a pull on a busy CI machine to keep sending progress. */
const progressDeadline = "3s";

const skip = await registryUnavailable({ auth: credentials });

describe("PullImage from local registries", { skip }, () => {
  let plain: LocalRegistry;
  let secured: LocalRegistry;
  let stalling: RegistryProxy;
  let tokens: RegistryProxy;
  let slow: RegistryProxy;
  let daemon: Daemon;
  /** What before() has set up so far, undone in reverse by after() even when before() failed halfway. */
  const undo: (() => Promise<unknown>)[] = [];
  let cri: CriClient;
  /** Digest of `<plain>/<run>/app:v1` as pushed. */
  let appDigest: string;

  before(async () => {
    undo.push(() => removeRunImages(run));
    plain = await startRegistry();
    undo.push(() => plain.stop());
    secured = await startRegistry({ auth: credentials });
    undo.push(() => secured.stop());
    stalling = await startRegistryProxy({ upstream: plain.host, stallBlobsAfterBytes: 64 * 1024 });
    undo.push(() => stalling.stop());
    tokens = await startRegistryProxy({ upstream: plain.host, bearer });
    undo.push(() => tokens.stop());
    slow = await startRegistryProxy({ upstream: plain.host, delayBlobsMs: 1_000 });
    undo.push(() => slow.stop());
    appDigest = await pushFresh(`${plain.host}/${run}/app:v1`);
    await pushFresh(`${plain.host}/${run}/big:v1`, 2 * 1024 * 1024);
    await pushFresh(`${plain.host}/${run}/baseline:v1`);
    await pushFresh(`${secured.host}/${run}/private:v1`, 64 * 1024, credentials);
    daemon = await startSandboxDaemon({ args: ["--log-level=debug", `--image-pull-progress-deadline=${progressDeadline}`] });
    undo.push(async () => { await daemon.stop(); await daemon.cleanup(); });
    cri = daemon.client();
  });

  /** What one pull asks the registry for (Docker resolves the tag with a HEAD, and may GET it too), measured once. */
  let perPullTags: number | undefined;
  async function tagRequestsPerPull(): Promise<number> {
    if (perPullTags === undefined) {
      const ref = `${slow.host}/${run}/baseline:v1`;
      await cri.call(ImageService.method.pullImage, { image: { image: ref } });
      perPullTags = slow.tagRequests(`${run}/baseline`);
      assert.ok(perPullTags >= 1);
      await removeLocal(ref);
    }
    return perPullTags;
  }

  after(async () => {
    await undoAll(undo);
  });

  it("pulls by tag and answers the image id, which ImageStatus and ListImages give as Image.id", async () => {
    const ref = `${plain.host}/${run}/app:v1`;
    const r = await cri.call(ImageService.method.pullImage, { image: { image: ref } });
    assert.equal(r.imageRef, imageIdOf(await inspectImage(ref)));
    const status = await cri.call(ImageService.method.imageStatus, { image: { image: ref } });
    assert.ok(status.image, "ImageStatus finds the image by its tag");
    assert.equal(status.image.id, r.imageRef, "CRI: Image.id is PullImage's image_ref");
    assert.equal((await cri.call(ImageService.method.imageStatus, { image: { image: r.imageRef } })).image?.id, r.imageRef, "and by the returned ref");
    assert.deepEqual(status.image.repoTags, [ref]);
    const digestRef = `${plain.host}/${run}/app@${appDigest}`;
    assert.deepEqual(status.image.repoDigests, [digestRef]);
    const listed = await cri.call(ImageService.method.listImages, { filter: { image: { image: digestRef } } });
    assert.deepEqual(listed.images.map((i) => i.id), [r.imageRef], "ListImages filters by digest");
    await removeLocal(ref);
  });

  it("gives one image identifier in PullImage, ImageStatus, ListImages, ContainerStatus and ListContainers (CRI v1.36)", async () => {
    // What critest's "Image Identifier Consistency" checks, with the container created from the pull's image_ref.
    const ref = `${plain.host}/${run}/app:v1`;
    const pods = newRun();
    const { imageRef } = await cri.call(ImageService.method.pullImage, { image: { image: ref } });
    try {
      const status = await cri.call(ImageService.method.imageStatus, { image: { image: ref } });
      assert.equal(status.image?.id, imageRef);
      const podSandboxId = await runSandbox(cri, pods.pod("ids"));
      const { containerId } = await cri.call(RuntimeService.method.createContainer, {
        podSandboxId,
        config: { metadata: { name: "ids", attempt: 0 }, image: { image: imageRef, userSpecifiedImage: ref }, labels: pods.selector },
        sandboxConfig: pods.pod("ids"),
      });
      const cs = (await cri.call(RuntimeService.method.containerStatus, { containerId })).status;
      assert.equal(cs?.imageId, imageRef, "ContainerStatus.image_id");
      assert.equal(cs.imageRef, `docker-pullable://${plain.host}/${run}/app@${appDigest}`, "image_ref keeps cri-dockerd's form");
      assert.equal(cs.image?.userSpecifiedImage, ref);
      const listed = (await cri.call(RuntimeService.method.listContainers, { filter: { id: containerId } })).containers;
      assert.deepEqual(listed.map((c) => c.imageId), [imageRef], "Container.image_id");
      await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId });
    } finally {
      await removeRunContainers(pods);
      await removeLocal(ref);
    }
  });

  it("pulls by digest", async () => {
    const ref = `${plain.host}/${run}/app@${appDigest}`;
    const r = await cri.call(ImageService.method.pullImage, { image: { image: ref } });
    const img = await inspectImage(ref);
    assert.ok(img, "present after the pull");
    assert.equal(r.imageRef, imageIdOf(img));
    await removeLocal(ref);
  });

  it("answers NotFound naming the reference for a tag the registry does not have", async () => {
    const ref = `${plain.host}/${run}/app:nope`;
    await assert.rejects(cri.call(ImageService.method.pullImage, { image: { image: ref } }), (err: unknown) => isGrpcError(err, grpcStatus.NOT_FOUND, `Cannot pull image "${ref}"`));
  });

  it("pulls from a registry that requires credentials only with the right ones, in either CRI form", async () => {
    const ref = `${secured.host}/${run}/private:v1`;
    // Docker's words: "no basic auth credentials" from the classic image store, the registry's
    // "401 Unauthorized" from the containerd one.
    await assert.rejects(cri.call(ImageService.method.pullImage, { image: { image: ref } }), (err: unknown) => refusedCredentials(err, /Cannot pull image .*(no basic auth credentials|401 Unauthorized)/));
    await assert.rejects(
      cri.call(ImageService.method.pullImage, { image: { image: ref }, auth: { username: credentials.username, password: "wrong-password", serverAddress: secured.host } }),
      (err: unknown) => refusedCredentials(err, /Cannot pull image .*unauthorized/i),
    );
    assert.equal(await inspectImage(ref), undefined);
    const r = await cri.call(ImageService.method.pullImage, { image: { image: ref }, auth: { username: credentials.username, password, serverAddress: secured.host } });
    assert.equal(r.imageRef, imageIdOf(await inspectImage(ref)));
    await removeLocal(ref);
    const auth = Buffer.from(`${credentials.username}:${password}`).toString("base64");
    const r2 = await cri.call(ImageService.method.pullImage, { image: { image: ref }, auth: { auth, serverAddress: secured.host } });
    assert.equal(r2.imageRef, r.imageRef, "the docker config.json `auth` form works too");
    await removeLocal(ref);
  });

  it("pulls with an identity token and with a registry token from a token-auth registry", async () => {
    const ref = `${tokens.host}/${run}/app:v1`;
    await assert.rejects(
      cri.call(ImageService.method.pullImage, { image: { image: ref }, auth: { registryToken: "not-the-token" } }),
      (err: unknown) => refusedCredentials(err, /Cannot pull image/),
    );
    const r = await cri.call(ImageService.method.pullImage, { image: { image: ref }, auth: { identityToken: bearer.identityToken, serverAddress: tokens.host } });
    assert.equal(r.imageRef, imageIdOf(await inspectImage(`${ref.replace(/:v1$/, "")}@${appDigest}`)));
    assert.ok(tokens.requests.some((q) => q.method === "POST" && q.path.startsWith("/token")), "Docker traded the identity token at the token endpoint");
    await removeLocal(ref);
    const before = tokens.requests.length;
    const r2 = await cri.call(ImageService.method.pullImage, { image: { image: ref }, auth: { registryToken: bearer.registryToken } });
    assert.equal(r2.imageRef, r.imageRef);
    assert.ok(tokens.requests.slice(before).some((q) => q.authScheme === "Bearer" && q.path.includes("/manifests/")), "the registry token was sent as a bearer token");
    await removeLocal(ref);
  });

  it("never writes credentials to its log", () => {
    const log = daemon.stderr();
    assert.ok(log.includes("Pulling image"), "the pulls were logged");
    for (const secret of [password, bearer.identityToken, bearer.registryToken, Buffer.from(`${credentials.username}:${password}`).toString("base64")]) {
      assert.ok(!log.includes(secret), `a secret appears in the log`);
    }
    assert.ok(!/x-registry-auth/i.test(log), "no X-Registry-Auth header in the log");
  });

  it("cancels a pull whose download stalls for --image-pull-progress-deadline", async () => {
    const ref = `${stalling.host}/${run}/big:v1`;
    const started = Date.now();
    await assert.rejects(
      cri.call(ImageService.method.pullImage, { image: { image: ref } }, { deadlineMs: 60_000 }),
      (err: unknown) => isGrpcError(err, grpcStatus.DEADLINE_EXCEEDED, /Cannot pull image .* canceled after 3s without progress/),
    );
    const took = Date.now() - started;
    assert.ok(took >= 3_000 && took < 30_000, `canceled after ${took} ms`);
    assert.ok(stalling.stalled >= 1, "the proxy stalled a blob download");
    assert.equal(await inspectImage(ref), undefined, "nothing half-pulled is tagged");
    // Docker gave up that pull: the same image pulls at once from a registry that answers. (Docker 20.10
    // keeps its stalled connection to the registry open until the registry ends it; the pull is gone.)
    const healthy = `${plain.host}/${run}/big:v1`;
    const r = await cri.call(ImageService.method.pullImage, { image: { image: healthy } }, { deadlineMs: 30_000 });
    assert.equal(r.imageRef, imageIdOf(await inspectImage(healthy)));
    await removeLocal(healthy);
  });

  it("merges concurrent pulls of one image into one Docker pull", async () => {
    const perPull = await tagRequestsPerPull();
    const ref = `${slow.host}/${run}/big:v1`;
    const results = await Promise.all([
      cri.call(ImageService.method.pullImage, { image: { image: ref } }),
      cri.call(ImageService.method.pullImage, { image: { image: ref } }),
      daemon.client().call(ImageService.method.pullImage, { image: { image: ref } }),
    ]);
    assert.equal(new Set(results.map((r) => r.imageRef)).size, 1, "every caller gets the same image ref");
    assert.equal(slow.tagRequests(`${run}/big`), perPull, "the registry saw one pull");
    assert.match(daemon.stderr(), /Joining a pull of the same image already in progress/);
    await removeLocal(ref);
  });

  it("keeps a shared pull going when one of its callers gives up", async () => {
    const perPull = await tagRequestsPerPull();
    const ref = `${slow.host}/${run}/app:v1`;
    const tagsBefore = slow.tagRequests(`${run}/app`);
    const impatient = cri.call(ImageService.method.pullImage, { image: { image: ref } }, { deadlineMs: 300 });
    const patient = daemon.client().call(ImageService.method.pullImage, { image: { image: ref } });
    await assert.rejects(impatient, (err: unknown) => isGrpcError(err, grpcStatus.DEADLINE_EXCEEDED));
    const r = await patient;
    assert.equal(r.imageRef, imageIdOf(await inspectImage(ref)));
    assert.equal(slow.tagRequests(`${run}/app`) - tagsBefore, perPull, "one Docker pull served both callers");
    await removeLocal(ref);
  });
});

/**
 * A registry's refusal as PullImage answers it: INTERNAL where Docker reports it as HTTP 500 (20.10,
 * and the containerd image store), FAILED_PRECONDITION where Docker answers 401 (28, classic store).
 */
function refusedCredentials(err: unknown, message: RegExp): boolean {
  return isGrpcError(err, grpcStatus.INTERNAL, message) || isGrpcError(err, grpcStatus.FAILED_PRECONDITION, message);
}

/** An inspected image's id ("sha256:…"). */
function imageIdOf(img: Record<string, unknown> | undefined): string {
  const id = img?.Id;
  assert.ok(typeof id === "string" && /^sha256:[0-9a-f]{64}$/.test(id), `an image id: ${String(id)}`);
  return id;
}

/** Runs every undo step, last first, even when one fails; throws the first failure at the end. */
async function undoAll(steps: (() => Promise<unknown>)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const step of steps.reverse()) await step().catch((err: unknown) => errors.push(err));
  if (errors.length > 0) throw errors[0];
}

/** Builds a unique image, pushes it, removes it locally (so that pulls download); returns the digest. */
async function pushFresh(ref: string, bytes = 64 * 1024, auth?: { username: string; password: string }): Promise<string> {
  const id = await buildUniqueImage(ref, { runId: run, bytes, user: "1002" });
  const digest = await pushImage(ref, auth);
  await dockerJson({ method: "DELETE", path: `/images/${id}`, query: { force: true } });
  return digest;
}

/** Removes the pulled image (every name of it); it is unique to this run. */
async function removeLocal(ref: string): Promise<void> {
  const img = await inspectImage(ref);
  if (img !== undefined && typeof img.Id === "string") await dockerJson({ method: "DELETE", path: `/images/${img.Id}`, query: { force: true } });
}
