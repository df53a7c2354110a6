import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { DockerApiError, type DockerImage, type PullProgress, type PullRequest } from "../../docker/index.js";
import { CriError, hasKind } from "../../errors/index.js";
import { AuthConfigSchema } from "../../gen/index.js";
import { silentLogger } from "../../logger/index.js";
import { ImagePuller } from "./image-puller.js";

const log = silentLogger();

function image(id: string, repoDigests: string[] = []): DockerImage {
  return {
    id, repoTags: [], repoDigests, size: 1, created: "", author: "", architecture: "", os: "",
    config: { user: "", env: [], entrypoint: [], cmd: [], workingDir: "", labels: {}, stopSignal: "", exposedPorts: [], volumes: [] },
    rootFs: { type: "layers", layers: [] },
  };
}

/** A scripted Docker: each pull yields `messages` spaced by `gapMs`, honouring the abort signal. */
class FakeImages {
  pulls: PullRequest[] = [];
  aborted = 0;
  /** Set once a pull has read its stream to the end. */
  pulled = false;
  constructor(private readonly script: { messages?: number; gapMs?: number; fail?: CriError; after?: DockerImage } = {}) {}

  pull(req: PullRequest, signal: AbortSignal): Promise<AsyncGenerator<PullProgress, void, undefined>> {
    this.pulls.push(req);
    if (this.script.fail !== undefined) return Promise.reject(this.script.fail);
    const { messages = 3, gapMs = 5 } = this.script;
    const gen = async function* (self: FakeImages): AsyncGenerator<PullProgress, void, undefined> {
      for (let i = 0; i < messages; i++) {
        await sleep(gapMs, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) {
          self.aborted++;
          throw signal.reason instanceof Error ? signal.reason : new CriError("Canceled", "aborted");
        }
        yield { id: "layer", status: "Downloading", progress: `${i}`, current: undefined, total: undefined };
      }
      self.pulled = true;
    };
    return Promise.resolve(gen(this));
  }

  inspect(ref: string, _signal: AbortSignal): Promise<DockerImage> {
    if (this.pulled && this.script.after !== undefined) return Promise.resolve(this.script.after);
    return Promise.reject(new CriError("NotFound", `No such image: ${ref}`));
  }
}

function puller(fake: FakeImages, deadlineMs = 5_000): ImagePuller {
  return new ImagePuller({ images: fake, progressDeadlineMs: deadlineMs, progressLogIntervalMs: 60_000 });
}

describe("ImagePuller", () => {
  it("sends the familiar name and the tag, latest by default, and answers the image id (as ImageStatus gives it)", async () => {
    const d = "sha256:" + "b".repeat(64);
    const fake = new FakeImages({ after: image("sha256:id1", [`other.io/x@${d}`, `127.0.0.1:5000/app@${d}`]) });
    const ref = await puller(fake).pull("127.0.0.1:5000/app", undefined, new AbortController().signal, log);
    assert.equal(ref, "sha256:id1", "the id, not a repo digest");
    assert.deepEqual(fake.pulls, [{ fromImage: "127.0.0.1:5000/app", tag: "latest", registryAuth: undefined }]);
  });

  it("pulls docker.io images under their familiar name and a digest instead of a tag", async () => {
    const d = "sha256:" + "c".repeat(64);
    const fake = new FakeImages({ after: image("sha256:id2") });
    const ref = await puller(fake).pull(`docker.io/library/busybox:1@${d}`, undefined, new AbortController().signal, log);
    assert.equal(ref, "sha256:id2");
    assert.deepEqual(fake.pulls[0], { fromImage: "busybox", tag: d, registryAuth: undefined });
  });

  it("rejects a bad reference before calling Docker", async () => {
    const fake = new FakeImages();
    await assert.rejects(puller(fake).pull("Not/Valid", undefined, new AbortController().signal, log), (e: unknown) => hasKind(e, "InvalidArgument"));
    assert.equal(fake.pulls.length, 0);
  });

  it("merges concurrent pulls of one reference, however spelled, into one Docker pull", async () => {
    const fake = new FakeImages({ messages: 5, gapMs: 10, after: image("sha256:id3") });
    const p = puller(fake);
    const refs = await Promise.all([
      p.pull("busybox", undefined, new AbortController().signal, log),
      p.pull("docker.io/library/busybox:latest", undefined, new AbortController().signal, log),
      p.pull("busybox:latest", undefined, new AbortController().signal, log),
    ]);
    assert.deepEqual(refs, ["sha256:id3", "sha256:id3", "sha256:id3"]);
    assert.equal(fake.pulls.length, 1);
  });

  it("does not merge pulls with different credentials, and sends them as X-Registry-Auth", async () => {
    const fake = new FakeImages({ messages: 3, gapMs: 10, after: image("sha256:id4") });
    const p = puller(fake);
    await Promise.all([
      p.pull("r.io/x:1", create(AuthConfigSchema, { username: "a", password: "1" }), new AbortController().signal, log),
      p.pull("r.io/x:1", create(AuthConfigSchema, { username: "a", password: "2" }), new AbortController().signal, log),
    ]);
    assert.equal(fake.pulls.length, 2);
    const sent = fake.pulls.map((r) => JSON.parse(Buffer.from(r.registryAuth ?? "", "base64url").toString()) as unknown); // the header is JSON by construction
    assert.deepEqual(sent, [{ username: "a", password: "1" }, { username: "a", password: "2" }]);
  });

  it("keeps a shared pull going for the remaining caller when one caller cancels", async () => {
    const fake = new FakeImages({ messages: 6, gapMs: 20, after: image("sha256:id5") });
    const p = puller(fake);
    const impatient = new AbortController();
    const a = p.pull("x/y:1", undefined, impatient.signal, log);
    const b = p.pull("x/y:1", undefined, new AbortController().signal, log);
    setTimeout(() => { impatient.abort(new CriError("Canceled", "PullImage was canceled by the client")); }, 30);
    await assert.rejects(a, (e: unknown) => hasKind(e, "Canceled"));
    assert.equal(await b, "sha256:id5");
    assert.equal(fake.aborted, 0);
    assert.equal(fake.pulls.length, 1);
  });

  it("cancels the Docker pull when its only caller goes", async () => {
    const fake = new FakeImages({ messages: 50, gapMs: 20 });
    const ac = new AbortController();
    const a = puller(fake).pull("x/y:1", undefined, ac.signal, log);
    setTimeout(() => { ac.abort(new CriError("DeadlineExceeded", "PullImage passed the client's deadline")); }, 30);
    await assert.rejects(a, (e: unknown) => hasKind(e, "DeadlineExceeded"));
    await sleep(50);
    assert.equal(fake.aborted, 1);
  });

  it("cancels a pull without progress for the deadline", async () => {
    const fake = new FakeImages({ messages: 3, gapMs: 400 });
    await assert.rejects(
      puller(fake, 100).pull("x/y:1", undefined, new AbortController().signal, log),
      (e: unknown) => hasKind(e, "DeadlineExceeded") && e.message.includes('"docker.io/x/y:1"') && e.message.includes("without progress"),
    );
    assert.equal(fake.aborted, 1);
  });

  it("names the image in Docker's failures and keeps their kind", async () => {
    const cause = new DockerApiError("pull_image", 404, "manifest for r.io/x:nope not found: manifest unknown");
    const fake = new FakeImages({ fail: new CriError("NotFound", `Docker "pull_image" failed: ${cause.dockerMessage}`, { cause }) });
    await assert.rejects(
      puller(fake).pull("r.io/x:nope", undefined, new AbortController().signal, log),
      (e: unknown) => hasKind(e, "NotFound") && e.message === 'Cannot pull image "r.io/x:nope": manifest for r.io/x:nope not found: manifest unknown',
    );
  });

  it("ensureImage pulls only a missing image", async () => {
    const fake = new FakeImages({ after: image("sha256:p") });
    const p = puller(fake);
    await p.ensureImage("registry.k8s.io/pause:3.10", new AbortController().signal, log);
    assert.equal(fake.pulls.length, 1);
    assert.equal(fake.pulls[0]?.fromImage, "registry.k8s.io/pause");
    await p.ensureImage("registry.k8s.io/pause:3.10", new AbortController().signal, log);
    assert.equal(fake.pulls.length, 1, "present now: no second pull");
  });
});
