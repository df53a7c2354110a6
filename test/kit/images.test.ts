// Builds the test images against the real dockerd and runs a container from each through the Engine API.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { demuxDockerStream, dockerJson, dockerRequest, isRecord } from "./docker-api.js";
import { waitFor } from "./wait-for.js";
import {
  BUSYBOX_IMAGE,
  PAUSE_IMAGE,
  TEST_IMAGE_HASH_LABEL,
  TEST_IMAGE_LABEL,
  ensureTestImages,
  removeTestImages,
} from "./images.js";

describe("ensureTestImages", () => {
  // Private references, so that removing and retagging here cannot disturb other test processes using
  // the shared images at the same time.
  const refs = {
    busybox: `docker-cri-test/busybox:kit-test-${process.pid}`,
    pause: `docker-cri-test/pause:kit-test-${process.pid}`,
  };

  after(async () => {
    await removeTestImages({ refs });
  });

  it("builds missing images once when called concurrently, then reuses them", async () => {
    await removeTestImages({ refs });
    const [a, b] = await Promise.all([ensureTestImages({ refs }), ensureTestImages({ refs })]);
    // Exactly one caller imported each image; the other waited on the lock and found it current.
    assert.notEqual(a.busybox.built, b.busybox.built);
    assert.notEqual(a.pause.built, b.pause.built);
    assert.equal(a.busybox.id, b.busybox.id);
    assert.equal(a.pause.id, b.pause.id);

    const again = await ensureTestImages({ refs });
    assert.deepEqual(again, {
      busybox: { ref: refs.busybox, id: a.busybox.id, built: false },
      pause: { ref: refs.pause, id: a.pause.id, built: false },
    });
  });

  it("rebuilds an image whose hash label does not match its inputs", async () => {
    const { busybox, pause } = await ensureTestImages({ refs });
    // Point the busybox tag at the pause image: its hash label is the pause recipe's, so it is stale.
    const [repo, tag] = refs.busybox.split(":");
    await dockerJson({ method: "POST", path: `/images/${refs.pause}/tag`, query: { repo, tag } });
    try {
      const images = await ensureTestImages({ refs });
      assert.equal(images.busybox.built, true);
      assert.notEqual(images.busybox.id, pause.id);
      // The pause image lost only its second tag; the stale-image cleanup must not delete it.
      assert.deepEqual(images.pause, { ref: refs.pause, id: pause.id, built: false });
      assert.deepEqual((await imageConfig(refs.busybox)).Cmd, ["sh"]);
    } finally {
      // Untagged by the retag above; nothing else would remove it.
      await dockerRequest({ method: "DELETE", path: `/images/${busybox.id}` });
    }
  });

  it("sets the command, entrypoint and labels", async () => {
    await ensureTestImages();
    const busybox = await imageConfig(BUSYBOX_IMAGE);
    assert.deepEqual(busybox.Cmd, ["sh"]);
    const pause = await imageConfig(PAUSE_IMAGE);
    assert.deepEqual(pause.Entrypoint, ["/pause"]);
    for (const config of [busybox, pause]) {
      assert.ok(isRecord(config.Labels));
      assert.equal(config.Labels[TEST_IMAGE_LABEL], "true");
      assert.match(String(config.Labels[TEST_IMAGE_HASH_LABEL]), /^[0-9a-f]{64}$/);
    }
  });
});

describe("test image containers", () => {
  const created: string[] = [];

  before(async () => {
    await ensureTestImages();
  });

  after(async () => {
    for (const id of created) {
      await dockerRequest({ method: "DELETE", path: `/containers/${id}`, query: { force: true, v: true } });
    }
  });

  async function createContainer(config: Record<string, unknown>): Promise<string> {
    const name = `docker-cri-kit-test-${process.pid}-${created.length}`;
    const body = await dockerJson({
      method: "POST",
      path: "/containers/create",
      query: { name },
      body: { ...config, Labels: { [TEST_IMAGE_LABEL]: "true" } },
    });
    assert.ok(isRecord(body) && typeof body.Id === "string");
    created.push(body.Id);
    return body.Id;
  }

  async function start(id: string): Promise<void> {
    await dockerJson({ method: "POST", path: `/containers/${id}/start` });
  }

  async function waitExit(id: string, timeoutMs: number): Promise<number> {
    const body = await dockerJson({ method: "POST", path: `/containers/${id}/wait`, timeoutMs });
    assert.ok(isRecord(body) && typeof body.StatusCode === "number");
    return body.StatusCode;
  }

  async function logs(id: string): Promise<{ stdout: string; stderr: string }> {
    const res = await dockerRequest({ method: "GET", path: `/containers/${id}/logs`, query: { stdout: true, stderr: true } });
    assert.equal(res.status, 200);
    return demuxDockerStream(res.body);
  }

  async function inspectState(id: string): Promise<Record<string, unknown>> {
    const body = await dockerJson({ method: "GET", path: `/containers/${id}/json` });
    assert.ok(isRecord(body) && isRecord(body.State));
    return body.State;
  }

  it("runs a busybox shell command", async () => {
    const id = await createContainer({ Image: BUSYBOX_IMAGE, Cmd: ["sh", "-c", "echo hello; id -un; ls /tmp -ld"] });
    await start(id);
    assert.equal(await waitExit(id, 30_000), 0);
    const out = await logs(id);
    assert.equal(out.stderr, "");
    const lines = out.stdout.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, 2), ["hello", "root"]);
    assert.match(lines[2] ?? "", /^drwxrwxrwt /);
  });

  it("runs busybox as the www-data and nobody users", async () => {
    const www = await createContainer({ Image: BUSYBOX_IMAGE, User: "www-data", Cmd: ["id"] });
    const nobody = await createContainer({ Image: BUSYBOX_IMAGE, User: "65534:65534", Cmd: ["sh", "-c", "id -un; id -gn"] });
    await Promise.all([start(www), start(nobody)]);
    assert.equal(await waitExit(www, 30_000), 0);
    assert.equal(await waitExit(nobody, 30_000), 0);
    assert.equal((await logs(www)).stdout, "uid=33(www-data) gid=33(www-data) groups=33(www-data)\n");
    assert.equal((await logs(nobody)).stdout, "nobody\nnobody\n");
  });

  it("stops pause with SIGTERM and exit code 0", async () => {
    const id = await createContainer({ Image: PAUSE_IMAGE });
    await start(id);
    await waitForTermHandler(await inspectState(id));
    assert.equal((await inspectState(id)).Running, true);

    const started = Date.now();
    await dockerJson({ method: "POST", path: `/containers/${id}/kill`, query: { signal: "SIGTERM" } });
    assert.equal(await waitExit(id, 10_000), 0);
    assert.ok(Date.now() - started < 5_000, "pause took more than 5 s to exit on SIGTERM");
  });

  it("reaps orphans reparented to pause in a shared PID namespace", async () => {
    const pause = await createContainer({ Image: PAUSE_IMAGE });
    await start(pause);
    // The subshell exits at once, so its background sleep is orphaned and reparented to PID 1 (pause).
    const script = [
      "(sleep 0.5 & echo $! > /tmp/orphan)",
      "sleep 0.2",
      "o=$(cat /tmp/orphan)",
      'read -r l < /proc/$o/stat; echo "before: $l"',
      "sleep 1.5",
      'if [ -e /proc/$o/stat ]; then read -r l < /proc/$o/stat; echo "after: $l"; else echo "after: gone"; fi',
    ].join("\n");
    const id = await createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ["sh", "-c", script],
      HostConfig: { PidMode: `container:${pause}` },
    });
    await start(id);
    assert.equal(await waitExit(id, 30_000), 0);
    const out = (await logs(id)).stdout;
    // /proc/<pid>/stat: "pid (comm) state ppid …"
    assert.match(out, /^before: \d+ \(sleep\) S 1 /m, `orphan was not reparented to pause:\n${out}`);
    assert.match(out, /^after: gone$/m, `orphan was not reaped:\n${out}`);
  });
});

async function imageConfig(ref: string): Promise<Record<string, unknown>> {
  const body = await dockerJson({ method: "GET", path: `/images/${ref}/json` });
  assert.ok(isRecord(body) && isRecord(body.Config));
  return body.Config;
}

/**
 * PID 1 ignores signals it has no handler for, so a SIGTERM sent before pause installed its handler
 * would be lost. Poll the host's /proc for the caught-signal mask; if dockerd runs elsewhere (no such
 * pid here), fall back to a short delay.
 */
async function waitForTermHandler(state: Record<string, unknown>): Promise<void> {
  const pid = state.Pid;
  assert.ok(typeof pid === "number" && pid > 0);
  const sigterm = 1n << 14n; // bit (15 - 1)
  await waitFor(`pause (pid ${pid}) to install a SIGTERM handler`, async () => {
    let status: string;
    try {
      status = await readFile(`/proc/${pid}/status`, "utf8");
    } catch {
      await sleep(200);
      return true;
    }
    const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    return caught !== undefined && (BigInt(`0x${caught}`) & sigterm) !== 0n;
  }, { timeoutMs: 3_000, intervalMs: 20 });
}
