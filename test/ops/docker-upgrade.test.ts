/**
 * An operator upgrades Docker under a live node: dockerd stops, and comes back from the same data root
 * as a newer release. docker-cri keeps running through it. It must notice the new engine when the
 * event stream comes back (EngineState.refresh from the state cache's reconnect): the API version is
 * negotiated again, and the version-dependent features follow (here: recursive read-only mounts,
 * which Docker 20.10 cannot do and 26.1 can on this kernel). The pod made before the upgrade is still
 * listed, and a new one runs on the new engine.
 *
 * Needs the engines of scripts/engines.sh (`npm run test:engines` and .ci/run fetch them); skipped,
 * saying so, without them.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { PodSandboxState, RuntimeService } from "../../src/gen/index.js";
import { kernelAtLeast } from "../../src/docker/index.js";
import type { CriClient } from "../kit/cri-client.js";
import { startDaemon, type Daemon } from "../kit/daemon.js";
import { BUSYBOX_IMAGE, ensureTestImages, PAUSE_IMAGE } from "../kit/images.js";
import { createPrivateDockerd, type PrivateDockerd } from "../kit/private-dockerd.js";
import { newRun, runSandbox, type SandboxRun } from "../kit/sandbox-run.js";
import { release } from "node:os";

const enginesDir = process.env.DOCKER_CRI_ENGINES_DIR ?? "/var/cache/docker-cri/engines";
const newer = join(enginesDir, "trixie", "bin");
const skip = existsSync(join(newer, "dockerd")) ? false : `no Docker 26.1 in ${newer}: run scripts/engines.sh fetch`;

describe("Docker upgraded from 20.10 to 26.1 under a running docker-cri", { timeout: 300_000, skip }, () => {
  let dockerd: PrivateDockerd;
  let daemon: Daemon;
  let cri: CriClient;
  let run: SandboxRun;

  before(async () => {
    await ensureTestImages();
    // The system's 20.10 binaries first, on a private data root.
    dockerd = await createPrivateDockerd();
    await dockerd.start();
    await dockerd.loadImages([PAUSE_IMAGE, BUSYBOX_IMAGE]);
    run = newRun();
    daemon = await startDaemon({ args: [`--docker-endpoint=${dockerd.endpoint}`, `--pod-infra-container-image=${PAUSE_IMAGE}`] });
    cri = daemon.client();
  });
  after(async () => {
    await daemon.stop();
    await daemon.cleanup();
    await dockerd.dispose();
  });

  const rro = async (): Promise<boolean | undefined> => (await cri.call(RuntimeService.method.status, {})).runtimeHandlers.find((h) => h.name === "")?.features?.recursiveReadOnlyMounts;

  it("follows the engine across the upgrade: version, API, features, old and new pods", async () => {
    const before20 = await cri.call(RuntimeService.method.version, {});
    assert.match(before20.runtimeVersion, /^20\.10\./);
    assert.equal(await rro(), false, "Docker 20.10 cannot make recursive read-only mounts");
    const oldPod = await runSandbox(cri, run.pod("before-upgrade"));

    await dockerd.stop();
    await dockerd.start(newer);
    const described = await dockerd.describe();
    assert.match(described.version, /^26\.1\./);

    // The state cache reconnects within about a second of dockerd answering; the refresh runs first.
    const deadline = Date.now() + 30_000;
    let version = "";
    for (;;) {
      version = (await cri.call(RuntimeService.method.version, {}).catch(() => ({ runtimeVersion: "" }))).runtimeVersion;
      if (/^26\.1\./.test(version) && (await rro().catch(() => undefined)) !== undefined && (await rro()) === kernelAtLeast(release(), 5, 12)) break;
      if (Date.now() > deadline) break;
      await sleep(200);
    }
    assert.match(version, /^26\.1\./);
    assert.equal(await rro(), kernelAtLeast(release(), 5, 12), "recursive read-only follows the new engine (and this kernel)");
    assert.match(daemon.stderr(), /The Docker Engine changed since it was last asked/);

    // dockerd stopped every container when it went down: the old pod is there, not ready.
    const listed = (await cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: run.selector } })).items;
    assert.deepEqual(listed.map((s) => [s.id, s.state]), [[oldPod, PodSandboxState.SANDBOX_NOTREADY]]);
    const newPod = await runSandbox(cri, run.pod("after-upgrade"));
    const status = await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: newPod });
    assert.equal(status.status?.state, PodSandboxState.SANDBOX_READY);
    for (const id of [oldPod, newPod]) {
      await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: id });
      await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: id });
    }
    assert.deepEqual((await cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: run.selector } })).items, []);
  });
});
