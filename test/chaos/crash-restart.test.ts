/**
 * docker-cri killed with SIGKILL at random points while pods go through their whole lifecycle (run
 * sandbox, create and start two containers, stop, remove), with real CNI networking (Debian's bridge
 * and host-local plugins on a bridge and subnet of this run), and restarted on the same root directory
 * each time. Some kills are random in time; others land exactly between a sandbox container's
 * creation and its start (the DOCKER_CRI_TEST_PAUSE_AFTER_SANDBOX_CREATE_MS hook).
 *
 * Afterwards every pod a kill interrupted must be either fully usable (READY, with its IP, a new
 * container runs and execs in it) or cleanly removable, and once every pod is removed nothing may be
 * left: no Docker container, sandbox checkpoint, CNI address or cache entry, container-log state, or
 * veth on the bridge. The counts are printed.
 *
 * `npm test` runs 12 lifecycles; `npm run test:chaos` runs 100. DOCKER_CRI_CHAOS_SEED replays a kill schedule.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { randomInt } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ContainerState, PodSandboxState, RuntimeService } from "../../src/gen/index.js";
import type { CriClient } from "../kit/cri-client.js";
import type { Daemon } from "../kit/daemon.js";
import { BUSYBOX_IMAGE } from "../kit/images.js";
import { allocatedIps, bridgeNetworkNode, cniBinDir, deleteLink, haveCniPlugins, randomId, run as runCmd, skipWithoutPlugins } from "../kit/host-network.js";
import { newRun, removeRunContainers, runContainers, startSandboxDaemon, type PodInit, type SandboxRun } from "../kit/sandbox-run.js";
import { unheldDockerNetns } from "./kit/netns.js";
import { bySize, chaosSeed, Rng } from "./kit/scale.js";

const lifecycles = bySize(12, 100);
const workers = bySize(4, 8);
const pauseEnv = "DOCKER_CRI_TEST_PAUSE_AFTER_SANDBOX_CREATE_MS";
const steps = ["run sandbox", "create a", "start a", "create b", "start b", "stop", "remove"] as const;
const deadlineMs = 60_000;

const available = await haveCniPlugins();

/** Symbolic links anywhere below `dir` (the kubelet's pod log directories). */
async function symlinksUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isSymbolicLink()).map((e) => join(e.parentPath, e.name));
}

interface Interrupted {
  readonly n: number;
  readonly step: (typeof steps)[number];
  readonly config: PodInit;
}

describe(`docker-cri killed at random points during ${lifecycles} pod lifecycles`, { skip: available ? false : skipWithoutPlugins, timeout: bySize(240_000, 600_000) }, () => {
  const id = randomId();
  const bridge = `dcrc${id}`;
  const network = `dcri-chaos-${id}`;
  const subnet = `10.98.${randomInt(1, 255)}.0/24`;
  const seed = chaosSeed();
  const rng = new Rng(seed);
  // Both ways container logs reach the kubelet, by the seed: docker-cri's CRI-format copies (with
  // their copy state under the root directory) or cri-dockerd's symlinks to Docker's json-file logs.
  const logMode = seed % 2 === 0 ? "cri" : "json-symlink";
  let dir: string;
  let rootDir: string;
  let confDir: string;
  let cacheDir: string;
  let ipamDir: string;
  let logDirectory: string;
  let run: SandboxRun;
  let daemon: Daemon | undefined;
  let cri: CriClient;
  /** Bumped on every (re)start; a call that fails across a change was cut by a kill. */
  let generation = 0;
  const killed = { random: 0, hook: 0 };

  const start = async (env: Record<string, string> = {}): Promise<void> => {
    daemon = await startSandboxDaemon({
      args: ["--network-plugin=cni", `--cni-conf-dir=${confDir}`, `--cni-bin-dir=${cniBinDir}`, `--cni-cache-dir=${cacheDir}`, `--cri-dockerd-root-directory=${rootDir}`, `--container-log-mode=${logMode}`],
      env,
    });
    cri = daemon.client();
    generation++;
  };
  const kill = async (): Promise<void> => {
    const d = daemon;
    daemon = undefined;
    if (d === undefined) return;
    await d.stop("SIGKILL");
    // Removes the kit's own temp directory (socket); our root directory stays for the next start, as after a real crash.
    await d.cleanup();
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "docker-cri-crash-"));
    ({ rootDir, confDir, cacheDir, ipamDir, logDirectory } = await bridgeNetworkNode(dir, { network, bridge, subnet }));
    run = newRun();
    await start();
  });

  after(async () => {
    if (daemon !== undefined) {
      for (const s of (await cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: run.selector } }).catch(() => ({ items: [] }))).items) {
        await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: s.id }).catch(() => undefined);
      }
      const d = daemon;
      await d.stop();
      await d.cleanup();
    }
    await removeRunContainers(run);
    await deleteLink(bridge);
    await rm(dir, { recursive: true, force: true });
  });

  const podOf = (n: number): PodInit => ({ ...run.pod(`life${n}`, { labels: { lifecycle: String(n) } }), logDirectory: join(logDirectory, `pod${n}`) });
  const app = (name: string) => ({ metadata: { name }, image: { image: BUSYBOX_IMAGE }, command: ["sleep", "600"], labels: run.selector, logPath: `${name}.log` });

  it("leaves every interrupted pod usable or removable, and nothing behind once they are removed", async () => {
    const interrupted: Interrupted[] = [];
    const unexpected: string[] = [];
    let completed = 0;
    let next = 0;
    const churn = { done: false };
    /** Read through a call: the workers set it while the killer awaits. */
    const finished = (): boolean => churn.done;

    /** One pod's lifecycle; stops at the first call a kill cut off. */
    const lifecycle = async (n: number): Promise<void> => {
      const config = podOf(n);
      let step: (typeof steps)[number] = "run sandbox";
      const gen = generation;
      const client = cri;
      try {
        const sandbox = (await client.call(RuntimeService.method.runPodSandbox, { config }, { deadlineMs })).podSandboxId;
        for (const name of ["a", "b"]) {
          step = name === "a" ? "create a" : "create b";
          const c = (await client.call(RuntimeService.method.createContainer, { podSandboxId: sandbox, sandboxConfig: config, config: app(name) }, { deadlineMs })).containerId;
          step = name === "a" ? "start a" : "start b";
          await client.call(RuntimeService.method.startContainer, { containerId: c }, { deadlineMs });
        }
        step = "stop";
        await client.call(RuntimeService.method.stopPodSandbox, { podSandboxId: sandbox }, { deadlineMs });
        step = "remove";
        await client.call(RuntimeService.method.removePodSandbox, { podSandboxId: sandbox }, { deadlineMs });
        completed++;
      } catch (err) {
        // Cut by a kill: the daemon the call went to is gone (being killed, or replaced since).
        const cut = generation !== gen || daemon === undefined || client !== cri;
        if (cut) interrupted.push({ n, step, config });
        else unexpected.push(`lifecycle ${n} at "${step}": ${String(err)}`);
      }
    };

    const worker = async (): Promise<void> => {
      for (let n = next++; n < lifecycles; n = next++) {
        while (daemon === undefined) await sleep(20);
        await lifecycle(n);
      }
    };

    /** Kills exactly between a sandbox's create and start first and every fourth time after, at random moments otherwise. */
    const killer = async (): Promise<void> => {
      for (let round = 0; !finished(); round++) {
        if (round % 4 === 0) {
          await kill();
          await start({ [pauseEnv]: "600000" });
          const d = daemon;
          const deadline = Date.now() + 20_000;
          while (!finished() && Date.now() < deadline && !(d?.stderr().includes("Test hook: pausing") ?? false)) await sleep(10);
          if (finished()) return;
          killed.hook++;
        } else {
          // Shorter in the light run, whose dozen lifecycles take only a few seconds: it must still see kills.
          await sleep(bySize(200, 500) + rng.int(bySize(1_000, 3_500)));
          if (finished()) return;
          killed.random++;
        }
        await kill();
        await sleep(rng.int(300));
        await start();
      }
    };

    const started = performance.now();
    const killing = killer();
    await Promise.all(Array.from({ length: workers }, () => worker()));
    churn.done = true;
    await killing;
    if (daemon === undefined) await start();
    const churnSeconds = (performance.now() - started) / 1000;
    assert.deepEqual(unexpected, [], `calls that failed without a kill (seed ${seed})`);

    // Recovery, the way a kubelet would: list the run's pods, use the ready ones, remove them all.
    const counts = { usable: 0, notReady: 0, vanished: 0, orphanContainers: 0 };
    const sandboxes = (await cri.call(RuntimeService.method.listPodSandbox, { filter: { labelSelector: run.selector } }, { deadlineMs })).items;
    for (const p of interrupted) {
      const mine = sandboxes.filter((s) => s.labels.lifecycle === String(p.n));
      if (mine.length === 0) counts.vanished++;
      for (const s of mine) {
        if (s.state !== PodSandboxState.SANDBOX_READY) {
          counts.notReady++;
          continue;
        }
        const st = await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: s.id }, { deadlineMs });
        assert.match(st.status?.network?.ip ?? "", /^10\.98\./, `READY pod ${p.n} (cut at "${p.step}") has its CNI address`);
        const c = (await cri.call(RuntimeService.method.createContainer, { podSandboxId: s.id, sandboxConfig: p.config, config: app("check") }, { deadlineMs })).containerId;
        await cri.call(RuntimeService.method.startContainer, { containerId: c }, { deadlineMs });
        const out = await cri.call(RuntimeService.method.execSync, { containerId: c, cmd: ["sh", "-c", "ip -4 addr show eth0 | grep -c inet"] }, { deadlineMs });
        assert.equal(Buffer.from(out.stdout).toString().trim(), "1", `pod ${p.n} (cut at "${p.step}"): the new container sees the pod's eth0`);
        assert.equal((await cri.call(RuntimeService.method.containerStatus, { containerId: c }, { deadlineMs })).status?.state, ContainerState.CONTAINER_RUNNING);
        counts.usable++;
      }
    }
    for (const s of sandboxes) {
      await cri.call(RuntimeService.method.stopPodSandbox, { podSandboxId: s.id }, { deadlineMs });
      await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: s.id }, { deadlineMs });
    }
    // Containers whose sandbox went away are the kubelet's to remove too.
    for (const c of (await cri.call(RuntimeService.method.listContainers, { filter: { labelSelector: run.selector } }, { deadlineMs })).containers) {
      counts.orphanContainers++;
      await cri.call(RuntimeService.method.removeContainer, { containerId: c.id }, { deadlineMs });
    }

    // Temp files of atomic writes a kill interrupted count too: they are what a crash leaves.
    const leftovers = {
      dockerContainers: await runContainers(run),
      checkpoints: await readdir(join(rootDir, "sandbox")).catch(() => []),
      cniAddresses: await allocatedIps(ipamDir, network),
      // The cache directory is this run's own: every entry counts (the pod network's and cni-loopback's).
      cniCacheEntries: await readdir(join(cacheDir, "results")).catch(() => []),
      logCopyStates: await readdir(join(rootDir, "container-logs")).catch(() => []),
      logSymlinks: await symlinksUnder(logDirectory),
      vethsOnBridge: (await runCmd("ip", ["-o", "link", "show", "master", bridge])).stdout.split("\n").filter((l) => l.trim() !== ""),
      networkNamespaces: await unheldDockerNetns(),
    };
    const leftoverCounts = Object.fromEntries(Object.entries(leftovers).map(([k, v]) => [k, v.length]));
    const byStep = Object.fromEntries(steps.map((s) => [s, interrupted.filter((i) => i.step === s).length]));
    console.log(
      `crash chaos (seed ${seed}, ${logMode} logs): ${lifecycles} lifecycles in ${churnSeconds.toFixed(1)} s, ${completed} completed, ${interrupted.length} interrupted ${JSON.stringify(byStep)}; ` +
        `${killed.random} random kills and ${killed.hook} at the create/start hook; after restart ${counts.usable} interrupted pods usable, ` +
        `${counts.notReady} not ready and removed, ${counts.vanished} never created, ${counts.orphanContainers} orphan containers removed; leftovers ${JSON.stringify(leftoverCounts)}`,
    );
    assert.equal(completed + interrupted.length, lifecycles);
    assert.ok(killed.random + killed.hook >= bySize(2, 6), `${killed.random + killed.hook} kills`);
    assert.deepEqual(leftovers, { dockerContainers: [], checkpoints: [], cniAddresses: [], cniCacheEntries: [], logCopyStates: [], logSymlinks: [], vethsOnBridge: [], networkNamespaces: [] });
  });
});
