/**
 * The API-version-dependent container features (issue 14) against whichever Docker Engine the tests
 * run on (DOCKER_CRI_TEST_DOCKER_SOCKET, see test/kit/docker-api.ts): read-only mounts exactly as
 * asked, recursive read-only, image volumes, CDI devices, and what Status advertises. Each feature is
 * asserted to work where the engine has it and to be refused, saying what is needed and creating
 * nothing, where it does not. What the engine has is read here from Docker's own /version and /info,
 * with the thresholds of Docker's API changelog written out again rather than taken from src/.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { ImageService, RuntimeService } from "../../src/gen/index.js";
import { OUR_MAX_API_VERSION } from "../../src/docker/negotiate.js";
import { isGrpcError } from "../kit/cri-client.js";
import { dockerJson, isRecord } from "../kit/docker-api.js";
import { BUSYBOX_IMAGE } from "../kit/images.js";
import { field, inspect, runContainers, startContainerRun, type ContainerRun } from "./container-fixture.js";

const run = promisify(execFile);

/** "1.45" < "1.51"; compares the minor number too. */
function apiAtLeast(v: string, min: string): boolean {
  const [a, b] = [v.split(".").map(Number), min.split(".").map(Number)];
  return (a[0] ?? 0) > (b[0] ?? 0) || ((a[0] ?? 0) === (b[0] ?? 0) && (a[1] ?? 0) >= (b[1] ?? 0));
}

interface Engine {
  readonly version: string;
  /** The API version docker-cri speaks with it: the daemon's, capped by docker-cri's newest. */
  readonly api: string;
  readonly kernel: string;
  readonly cdiSpecDirs: string[];
  readonly recursiveReadOnly: boolean;
  readonly imageVolumes: boolean;
  readonly cdi: boolean;
  /** The daemon lists its CDI devices in /info (API 1.50), so CreateContainer can check them. */
  readonly cdiDeviceList: boolean;
}

async function readEngine(): Promise<Engine> {
  const version = await dockerJson({ method: "GET", path: "/version" });
  const info = await dockerJson({ method: "GET", path: "/info" });
  const daemonApi = String(field(version, "ApiVersion"));
  const api = apiAtLeast(daemonApi, OUR_MAX_API_VERSION) ? OUR_MAX_API_VERSION : daemonApi;
  const kernel = String(field(info, "KernelVersion"));
  const k = /^(\d+)\.(\d+)/.exec(kernel);
  const kernel512 = k !== null && (Number(k[1]) > 5 || (Number(k[1]) === 5 && Number(k[2]) >= 12));
  const dirs = field(info, "CDISpecDirs");
  const cdiSpecDirs = Array.isArray(dirs) ? dirs.map(String) : [];
  return {
    version: String(field(version, "Version")),
    api,
    kernel,
    cdiSpecDirs,
    recursiveReadOnly: apiAtLeast(api, "1.44") && kernel512,
    imageVolumes: apiAtLeast(api, "1.48"),
    cdi: apiAtLeast(api, "1.44") && cdiSpecDirs.length > 0,
    cdiDeviceList: apiAtLeast(api, "1.50"),
  };
}

describe(`container engine features`, () => {
  let r: ContainerRun;
  let engine: Engine;
  let started = false;
  const tmpfsMounts: string[] = [];
  const specFiles: string[] = [];
  /** Spec directories this test had to create (an engine's default /etc/cdi may not exist), removed afterwards. */
  const createdDirs: string[] = [];

  before(async () => {
    engine = await readEngine();
    r = await startContainerRun();
    started = true;
  });
  after(async () => {
    for (const m of tmpfsMounts) await run("umount", [m]).catch(() => undefined);
    for (const f of specFiles) await rm(f, { force: true });
    for (const d of createdDirs.reverse()) await rmdir(d).catch(() => undefined); // only if still empty
    if (started) await r.close();
  });

  /** A host directory with a tmpfs mounted at its "sub", so a mount below a bind can be tried. */
  async function hostDirWithSubmount(name: string): Promise<string> {
    const dir = join(r.dir, name);
    await mkdir(join(dir, "sub"), { recursive: true });
    await run("mount", ["-t", "tmpfs", "-o", "size=1m", "docker-cri-test", join(dir, "sub")]);
    tmpfsMounts.push(join(dir, "sub"));
    return dir;
  }

  /** Asserts that creating `config` in `pod` fails with `code` and `message`, and leaves no container. */
  async function refused(pod: Awaited<ReturnType<ContainerRun["pod"]>>, over: Parameters<ContainerRun["container"]>[1], code: number, message: RegExp): Promise<void> {
    const before = await runContainers(r.sandbox);
    await assert.rejects(r.create(pod, r.container("refused", over)), (err) => isGrpcError(err, code, message));
    assert.deepEqual(await runContainers(r.sandbox), before, "nothing was created");
  }

  async function writable(id: string, path: string): Promise<boolean> {
    return (await r.exec(id, ["sh", "-c", `touch ${path}`])).exitCode === 0;
  }

  it("Status advertises recursive read-only mounts on every runtime handler exactly where the engine and kernel allow them, never user namespaces", async (t) => {
    const e = engine;
    t.diagnostic(`Docker ${e.version}, API ${e.api}, kernel ${e.kernel}: recursive read-only ${e.recursiveReadOnly}, image volumes ${e.imageVolumes}, CDI ${e.cdi} (device list ${e.cdiDeviceList})`);
    const s = await r.cri.call(RuntimeService.method.status, { verbose: false });
    assert.ok(s.runtimeHandlers.length >= 2, "the default handler and Docker's runtimes");
    for (const h of s.runtimeHandlers) {
      const features = h.features;
      assert.ok(features !== undefined, `handler "${h.name}" has features`);
      assert.equal(features.recursiveReadOnlyMounts, engine.recursiveReadOnly, `handler "${h.name}" on Docker ${engine.version} (API ${engine.api}, kernel ${engine.kernel})`);
      assert.equal(features.userNamespaces, false);
    }
  });

  it("a read-only mount is read-only at its top only: a mount below it stays writable, and a missing host directory is created", async () => {
    const pod = await r.pod("ro");
    const dir = await hostDirWithSubmount("ro");
    const missing = join(r.dir, "ro-missing", "dir");
    const id = await r.run(pod, r.container("ro", { mounts: [{ hostPath: dir, containerPath: "/ro", readonly: true }, { hostPath: missing, containerPath: "/missing", readonly: true }] }));
    assert.equal(await writable(id, "/ro/top"), false, "the mount itself is read-only");
    assert.equal(await writable(id, "/ro/sub/x"), true, "the tmpfs below it is writable, as the CRI's non-recursive readonly asks");
    assert.equal(await writable(id, "/missing/x"), false);
    assert.ok((await stat(missing)).isDirectory(), "Docker created the missing host directory, as for a bind string");

    // What Docker was sent: structured with ReadOnlyNonRecursive from API 1.44, a "ro" bind string before.
    const c = await inspect(id);
    const mounts = field(c, "HostConfig", "Mounts");
    const structured: unknown[] = Array.isArray(mounts) ? mounts : [];
    const binds = field(c, "HostConfig", "Binds");
    if (apiAtLeast(engine.api, "1.44")) {
      const m = structured.find((x) => field(x, "Target") === "/ro");
      assert.equal(field(m, "BindOptions", "ReadOnlyNonRecursive"), true);
      assert.equal(field(m, "BindOptions", "CreateMountpoint"), true);
    } else {
      assert.ok(Array.isArray(binds) && binds.includes(`${dir}:/ro:ro`), `binds: ${JSON.stringify(binds)}`);
    }
    const status = (await r.cri.call(RuntimeService.method.containerStatus, { containerId: id })).status;
    const reported = status?.mounts.find((m) => m.containerPath === "/ro");
    assert.deepEqual([reported?.hostPath, reported?.readonly, reported?.recursiveReadOnly], [dir, true, false]);
  });

  it("a read-only mount with SELinux relabelling stays a \"ro,Z\" bind string, which Docker 25+ makes recursive where the kernel allows it", async () => {
    const pod = await r.pod("roz");
    const dir = await hostDirWithSubmount("roz");
    const id = await r.run(pod, r.container("roz", { mounts: [{ hostPath: dir, containerPath: "/roz", readonly: true, selinuxRelabel: true }] }));
    const binds = field(await inspect(id), "HostConfig", "Binds");
    assert.ok(Array.isArray(binds) && binds.includes(`${dir}:/roz:ro,Z`), `binds: ${JSON.stringify(binds)}`);
    assert.equal(await writable(id, "/roz/top"), false);
    // Docker's structured mounts cannot relabel, so this one case cannot be non-recursive on API 1.44+.
    assert.equal(await writable(id, "/roz/sub/x"), !engine.recursiveReadOnly, "below it: writable only where Docker's ro is not recursive");
  });

  it("a read-write mount is still a bind string, writable below and at its top", async () => {
    const pod = await r.pod("rw");
    const dir = await hostDirWithSubmount("rw");
    const id = await r.run(pod, r.container("rw", { mounts: [{ hostPath: dir, containerPath: "/rw" }] }));
    assert.equal(await writable(id, "/rw/top"), true);
    assert.equal(await writable(id, "/rw/sub/x"), true);
    const binds = field(await inspect(id), "HostConfig", "Binds");
    assert.ok(Array.isArray(binds) && binds.includes(`${dir}:/rw`), `binds: ${JSON.stringify(binds)}`);
  });

  it("a recursive read-only mount is read-only below too where the engine allows it, and is refused, saying what is needed, elsewhere", async () => {
    const pod = await r.pod("rro");
    const dir = await hostDirWithSubmount("rro");
    const mount = { hostPath: dir, containerPath: "/rro", readonly: true, recursiveReadOnly: true };
    if (!engine.recursiveReadOnly) {
      await refused(pod, { mounts: [mount] }, grpcStatus.INVALID_ARGUMENT, /need Docker API 1\.44 \(Docker 25\) or newer and Linux 5\.12 or newer/);
      return;
    }
    const id = await r.run(pod, r.container("rro", { mounts: [mount] }));
    assert.equal(await writable(id, "/rro/top"), false);
    assert.equal(await writable(id, "/rro/sub/x"), false, "the tmpfs below it is read-only too");
    const status = (await r.cri.call(RuntimeService.method.containerStatus, { containerId: id })).status;
    const reported = status?.mounts.find((m) => m.containerPath === "/rro");
    assert.deepEqual([reported?.readonly, reported?.recursiveReadOnly], [true, true]);
  });

  it("an image volume shows the image's files, read-only, with a sub path, where the engine has image mounts, and is refused elsewhere", async () => {
    const pod = await r.pod("image");
    // The kubelet mounts the image_ref PullImage gave it; ImageStatus's id is the same (one id across RPCs).
    const image = (await r.cri.call(ImageService.method.imageStatus, { image: { image: BUSYBOX_IMAGE } })).image?.id ?? "";
    assert.notEqual(image, "");
    const whole = { containerPath: "/iv", image: { image }, readonly: true };
    const sub = { containerPath: "/ivs", image: { image }, readonly: true, imageSubPath: "bin" };
    if (!engine.imageVolumes) {
      await refused(pod, { mounts: [whole] }, grpcStatus.FAILED_PRECONDITION, /image volumes need Docker API 1\.48 \(Docker 28\) or newer/);
      return;
    }
    // Two containers: Docker 28.5 cannot mount one image twice into the same container.
    const a = await r.run(pod, r.container("iv", { mounts: [whole] }));
    assert.equal((await r.exec(a, ["test", "-f", "/iv/bin/busybox"])).exitCode, 0, "the image's busybox is there");
    assert.equal(await writable(a, "/iv/x"), false, "image volumes are read-only");
    const b = await r.run(pod, r.container("ivs", { mounts: [sub] }));
    assert.equal((await r.exec(b, ["test", "-f", "/ivs/busybox"])).exitCode, 0, "the sub path bin/ is mounted");
    const reported = (await r.cri.call(RuntimeService.method.containerStatus, { containerId: b })).status?.mounts.find((m) => m.containerPath === "/ivs");
    assert.deepEqual([reported?.image?.image, reported?.imageSubPath, reported?.readonly, reported?.hostPath], [image, "bin", true, ""]);
  });

  it("refuses a CDI device name that is not fully qualified as invalid, on every engine", async () => {
    const pod = await r.pod("cdi-name");
    await refused(pod, { CDIDevices: [{ name: "null0" }] }, grpcStatus.INVALID_ARGUMENT, /fully qualified/);
  });

  it("a CDI device appears in the container where the engine has CDI; a missing one fails clearly; without CDI it is refused", async () => {
    const pod = await r.pod("cdi");
    const tag = randomBytes(4).toString("hex");
    const name = `docker-cri.test/null=null${tag}`;
    const node = `/dev/docker-cri-null${tag}`;
    if (!engine.cdi) {
      await refused(pod, { CDIDevices: [{ name }] }, grpcStatus.FAILED_PRECONDITION, /CDI needs Docker 28\.2 or newer, or Docker 25 \(API 1\.44\) or newer with "features": \{"cdi": true\}.*reports no CDI spec directories/);
      return;
    }
    // A harmless device: /dev/null under a test-only name, in a spec of its own, removed afterwards.
    const dir = engine.cdiSpecDirs[0] ?? "";
    const madeDir = await mkdir(dir, { recursive: true });
    if (madeDir !== undefined) for (let d = dir; d.length >= madeDir.length; d = dirname(d)) createdDirs.unshift(d);
    const specFile = join(dir, `docker-cri-test-${tag}.json`);
    specFiles.push(specFile);
    const spec = { cdiVersion: "0.6.0", kind: "docker-cri.test/null", devices: [{ name: `null${tag}`, containerEdits: { deviceNodes: [{ path: node, hostPath: "/dev/null", type: "c", major: 1, minor: 3 }] } }] };
    await writeFile(specFile, JSON.stringify(spec));
    if (engine.cdiDeviceList) {
      // Docker rereads its spec directories when they change; wait until it lists the device.
      const deadline = Date.now() + 15_000;
      for (;;) {
        const devices = field(await dockerJson({ method: "GET", path: "/info" }), "DiscoveredDevices");
        if (Array.isArray(devices) && devices.some((d) => isRecord(d) && d.ID === name)) break;
        assert.ok(Date.now() < deadline, `Docker did not pick up the CDI spec ${specFile}`);
        await sleep(200);
      }
    }
    const id = await r.run(pod, r.container("cdi", { CDIDevices: [{ name }] }));
    const ls = await r.exec(id, ["ls", "-l", node]);
    assert.equal(ls.exitCode, 0, ls.stderr);
    assert.match(ls.stdout, /^c.* 1, +3 /, "a character device, /dev/null's 1:3");

    const missing = `docker-cri.test/null=missing${tag}`;
    if (engine.cdiDeviceList) {
      await refused(pod, { CDIDevices: [{ name: missing }] }, grpcStatus.FAILED_PRECONDITION, new RegExp(`Docker knows no CDI device "${missing.replace(/[.]/g, "\\.")}"`));
      return;
    }
    // Before API 1.50 Docker cannot say which devices it knows: the container is created, and starting it fails clearly.
    const created = await r.create(pod, r.container("cdi-missing", { CDIDevices: [{ name: missing }] }));
    await assert.rejects(r.cri.call(RuntimeService.method.startContainer, { containerId: created }), (err) => isGrpcError(err, grpcStatus.FAILED_PRECONDITION, /no CDI spec in Docker's CDI spec directories defines the device/));
    await r.cri.call(RuntimeService.method.removeContainer, { containerId: created });
    assert.equal(await inspect(created), undefined);
  });
});
