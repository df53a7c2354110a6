/**
 * Security context and namespaces of app containers, seen from inside them: user and groups (`id`),
 * read-only root filesystem, capabilities in /proc/self/status, privileged mode on this host (whose
 * capability bounding set lacks CAP_SYS_RESOURCE), seccomp, no_new_privs, masked paths, PID
 * namespace modes, devices and bind-mount propagation.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readFile, readlink, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { MountPropagation, NamespaceMode, RuntimeService, SecurityProfile_ProfileType } from "../../src/gen/index.js";
import { dockerRequest } from "../kit/docker-api.js";
import { field, inspect, startContainerRun, type ContainerRun } from "./container-fixture.js";

const run = promisify(execFile);

/** A capability set line of /proc/<pid>/status as a bigint. */
function capField(statusText: string, name: string): bigint {
  const m = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, "m").exec(statusText);
  assert.ok(m?.[1] !== undefined, `no ${name} in ${statusText}`);
  return BigInt(`0x${m[1]}`);
}

/**
 * The host's bounding set without the capabilities this Docker does not know (which neither its
 * privileged mode nor any CapAdd can grant), found by asking Docker about each one with an image that
 * does not exist: it checks capabilities first, so nothing is ever created.
 */
async function grantableCapabilities(): Promise<bigint> {
  const bounding = capField(await readFile("/proc/self/status", "utf8"), "CapBnd");
  const last = Number((await readFile("/proc/sys/kernel/cap_last_cap", "utf8")).trim());
  const names = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"];
  let known = 0n;
  for (let bit = 0; bit <= last && bit < names.length; bit++) {
    const res = await dockerRequest({ method: "POST", path: "/containers/create", body: { Image: "docker-cri.invalid/probe:none", HostConfig: { CapAdd: [`CAP_${names[bit] ?? ""}`] } } });
    if (!res.body.toString("utf8").includes("unknown capability")) known |= 1n << BigInt(bit);
  }
  return bounding & known;
}

/** Docker's 14 default capabilities (moby oci/caps/defaults.go), as bits. */
const dockerDefaultCaps = [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31].reduce((acc, bit) => acc | (1n << BigInt(bit)), 0n);

describe("container security context and namespaces", () => {
  let r: ContainerRun;
  let started = false;
  let pod: Awaited<ReturnType<ContainerRun["pod"]>>;

  before(async () => {
    r = await startContainerRun();
    started = true;
    pod = await r.pod("sec");
  });
  after(async () => {
    if (started) await r.close();
  });

  it("runs as the user, group and supplemental groups asked for, by uid or by name", async () => {
    const byId = await r.run(pod, r.container("uid", { linux: { securityContext: { runAsUser: { value: 1000n }, runAsGroup: { value: 2000n }, supplementalGroups: [3000n, 4000n] } } }));
    const id = (await r.exec(byId, ["id"])).stdout;
    assert.match(id, /^uid=1000 gid=2000 groups=.*\b3000\b.*\b4000\b/);
    const byName = await r.run(pod, r.container("uname", { linux: { securityContext: { runAsUsername: "nobody" } } }));
    assert.match((await r.exec(byName, ["id"])).stdout, /^uid=65534\(nobody\) gid=65534\(nobody\)/);
    const noSuchUser = await r.create(pod, r.container("nouser", { linux: { securityContext: { runAsUsername: "nosuchuser" } } }));
    await assert.rejects(r.cri.call(RuntimeService.method.startContainer, { containerId: noSuchUser }), /nosuchuser/);
  });

  it("makes the root filesystem read-only", async () => {
    const ro = await r.run(pod, r.container("ro", { linux: { securityContext: { readonlyRootfs: true } } }));
    const res = await r.exec(ro, ["touch", "/newfile"]);
    assert.notEqual(res.exitCode, 0);
    assert.match(res.stderr, /Read-only file system/);
    const rw = await r.run(pod, r.container("rw"));
    assert.equal((await r.exec(rw, ["touch", "/newfile"])).exitCode, 0);
  });

  it("adds and drops capabilities, including ALL", async () => {
    const def = await r.run(pod, r.container("capdef"));
    assert.equal(capField((await r.exec(def, ["cat", "/proc/self/status"])).stdout, "CapEff"), dockerDefaultCaps);
    const changed = await r.run(pod, r.container("capchg", { linux: { securityContext: { capabilities: { addCapabilities: ["NET_ADMIN", "CAP_SYS_TIME"], dropCapabilities: ["chown"] } } } }));
    const eff = capField((await r.exec(changed, ["cat", "/proc/self/status"])).stdout, "CapEff");
    assert.equal(eff, (dockerDefaultCaps | (1n << 12n) | (1n << 25n)) & ~1n);
    const only = await r.run(pod, r.container("caponly", { linux: { securityContext: { capabilities: { addCapabilities: ["NET_BIND_SERVICE"], dropCapabilities: ["ALL"] } } } }));
    assert.equal(capField((await r.exec(only, ["cat", "/proc/self/status"])).stdout, "CapEff"), 1n << 10n);
    // ALL on a host that limits capabilities: every capability the host has (that Docker knows).
    const all = await r.run(pod, r.container("capall", { linux: { securityContext: { capabilities: { addCapabilities: ["ALL"] } } } }));
    assert.equal(capField((await r.exec(all, ["cat", "/proc/self/status"])).stdout, "CapEff"), await grantableCapabilities());
  });

  it("runs privileged containers here with the host's capabilities and the rest of privileged mode", async () => {
    const id = await r.run(pod, r.container("priv", { linux: { securityContext: { privileged: true } }, mounts: [{ hostPath: r.dir, containerPath: "/mnt/asked" }] }));
    assert.equal(await r.state(id), 1, "running");
    // The status shows the mounts asked for, not the /sys bind docker-cri added (critest's propagation tests count them).
    const criStatus = (await r.cri.call(RuntimeService.method.containerStatus, { containerId: id })).status;
    assert.deepEqual(criStatus?.mounts.map((m) => [m.hostPath, m.containerPath]), [[r.dir, "/mnt/asked"]]);
    assert.equal(Object.keys(criStatus.labels).some((k) => k.startsWith("io.kubernetes.docker-cri")), false, "docker-cri's own label is not shown");
    const status = (await r.exec(id, ["cat", "/proc/self/status"])).stdout;
    assert.equal(capField(status, "CapEff"), await grantableCapabilities(), "CapEff is the host's bounding set (what Docker knows of it)");
    assert.match(status, /^Seccomp:\s+0$/m, "no seccomp filter");
    // Nothing masked, /proc/sys and /sys writable.
    assert.equal((await r.exec(id, ["sh", "-c", "test -c /proc/timer_list && echo masked || echo open"])).stdout, "open\n");
    const mounts = (await r.exec(id, ["cat", "/proc/self/mounts"])).stdout;
    assert.match(mounts, /^sysfs \/sys sysfs rw[, ]/m);
    assert.doesNotMatch(mounts, / \/proc\/sys proc ro[, ]/);
    // Every host device, e.g. the host's disk.
    const hostDisk = (await stat("/dev/vda").catch(() => undefined)) === undefined ? "/dev/null" : "/dev/vda";
    assert.equal((await r.exec(id, ["sh", "-c", `test -b ${hostDisk} || test -c ${hostDisk}; echo $?`])).stdout, "0\n");
    assert.equal(field(await inspect(id), "HostConfig", "Privileged"), false, "not Docker's privileged mode, which fails on this host");
    // The unprivileged default for comparison: masked.
    const plain = await r.run(pod, r.container("unpriv"));
    assert.equal((await r.exec(plain, ["sh", "-c", "test -c /proc/timer_list && echo masked || echo open"])).stdout, "masked\n");
  });

  it("runs a privileged pod here (the kubelet marks the sandbox privileged): its pause container and containers get the host's capabilities", async () => {
    // What the kubelet sends for a pod with a privileged container, and critest's privileged tests.
    const privPod = await r.pod("privpod", { linux: { securityContext: { privileged: true, seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } } } });
    const sandbox = await inspect(privPod.id);
    assert.equal(field(sandbox, "State", "Running"), true, "the pause container runs");
    assert.equal(field(sandbox, "HostConfig", "Privileged"), false, "not Docker's privileged mode, which fails on this host");
    const pausePid = Number(field(sandbox, "State", "Pid"));
    assert.equal(capField(await readFile(`/proc/${pausePid}/status`, "utf8"), "CapEff"), await grantableCapabilities());
    const id = await r.run(privPod, r.container("privinpod", { linux: { securityContext: { privileged: true } } }));
    assert.equal(capField((await r.exec(id, ["cat", "/proc/self/status"])).stdout, "CapEff"), await grantableCapabilities());
    // CAP_NET_ADMIN in the pod's own network namespace: a privileged container can reconfigure it.
    const mtu = await r.exec(id, ["ip", "link", "set", "lo", "mtu", "1500"]);
    assert.equal(mtu.exitCode, 0, mtu.stderr);
    // An unprivileged container of the same pod keeps Docker's defaults.
    const plain = await r.run(privPod, r.container("plaininpod"));
    assert.equal(capField((await r.exec(plain, ["cat", "/proc/self/status"])).stdout, "CapEff"), dockerDefaultCaps);
  });

  it("applies seccomp profiles: Localhost file, RuntimeDefault, Unconfined", async () => {
    const profile = join(r.dir, "no-mkdir.json");
    await writeFile(profile, JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" }] }));
    const local = await r.run(pod, r.container("seclocal", { linux: { securityContext: { seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: profile } } } }));
    const denied = await r.exec(local, ["mkdir", "/tmp/x"]);
    assert.notEqual(denied.exitCode, 0);
    assert.match(denied.stderr, /Operation not permitted/);
    assert.equal((await r.exec(local, ["touch", "/tmp/y"])).exitCode, 0, "everything else is allowed");
    const def = await r.run(pod, r.container("secdef", { linux: { securityContext: { seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } } } }));
    assert.match((await r.exec(def, ["cat", "/proc/self/status"])).stdout, /^Seccomp:\s+2$/m);
    const unconfined = await r.run(pod, r.container("secoff", { linux: { securityContext: { seccomp: { profileType: SecurityProfile_ProfileType.Unconfined } } } }));
    assert.match((await r.exec(unconfined, ["cat", "/proc/self/status"])).stdout, /^Seccomp:\s+0$/m);
    assert.equal((await r.exec(unconfined, ["mkdir", "/tmp/x"])).exitCode, 0);
  });

  it("sets no_new_privs and masks the paths asked for", async () => {
    const id = await r.run(pod, r.container("nnp", { linux: { securityContext: { noNewPrivs: true, maskedPaths: ["/proc/cpuinfo"], readonlyPaths: ["/proc/sys"] } } }));
    assert.match((await r.exec(id, ["cat", "/proc/self/status"])).stdout, /^NoNewPrivs:\s+1$/m);
    assert.equal((await r.exec(id, ["cat", "/proc/cpuinfo"])).stdout, "", "masked: empty");
  });

  it("shares the pod's PID namespace with POD, the host's with NODE, another container's with TARGET", async () => {
    const sandboxPid = Number(field(await inspect(pod.id), "State", "Pid"));
    const shared = await r.run(pod, r.container("pidpod", { linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.POD } } } }));
    const ps = (await r.exec(shared, ["ps", "-o", "pid,args"])).stdout;
    assert.match(ps, /^\s*1\s+\/pause$/m, "the pod's pause process is PID 1 here");
    const pidOf = async (id: string) => Number(field(await inspect(id), "State", "Pid"));
    assert.equal(await readlink(`/proc/${await pidOf(shared)}/ns/pid`), await readlink(`/proc/${sandboxPid}/ns/pid`));
    const host = await r.run(pod, r.container("pidnode", { linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.NODE } } } }));
    assert.equal(await readlink(`/proc/${await pidOf(host)}/ns/pid`), await readlink("/proc/self/ns/pid"));
    const target = await r.run(pod, r.container("pidtarget", { linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.TARGET, targetId: host } } } }));
    assert.equal(await readlink(`/proc/${await pidOf(target)}/ns/pid`), await readlink("/proc/self/ns/pid"));
  });

  it("maps devices with their permissions", async () => {
    const id = await r.run(pod, r.container("dev", { devices: [{ hostPath: "/dev/zero", containerPath: "/dev/myzero", permissions: "r" }] }));
    assert.equal((await r.exec(id, ["sh", "-c", "head -c 4 /dev/myzero | od -An -tx1"])).stdout.trim(), "00 00 00 00");
    // A device outside Docker's default rules (which allow /dev/zero's numbers anyway).
    if ((await stat("/dev/cpu_dma_latency").catch(() => undefined))?.isCharacterDevice() !== true) return;
    const lat = await r.run(pod, r.container("lat", { devices: [{ hostPath: "/dev/cpu_dma_latency", containerPath: "/dev/lat", permissions: "r" }] }));
    assert.equal((await r.exec(lat, ["sh", "-c", "head -c 4 /dev/lat | wc -c"])).stdout.trim(), "4");
    const write = await r.exec(lat, ["sh", "-c", "printf x > /dev/lat"]);
    assert.notEqual(write.exitCode, 0, "the device cgroup allows reading only");
    assert.match(write.stderr, /Operation not permitted/);
  });

  it("propagates mounts with rshared both ways and with rslave from the host", async () => {
    const shared = join(r.dir, "shared");
    await mkdir(shared, { recursive: true });
    // The source must sit on a shared mount for rshared/rslave (the root mount here is private).
    await run("mount", ["--bind", shared, shared]);
    try {
      await run("mount", ["--make-rshared", shared]);
      const id = await r.run(pod, r.container("prop", {
        mounts: [
          { hostPath: shared, containerPath: "/shared", propagation: MountPropagation.PROPAGATION_BIDIRECTIONAL },
          { hostPath: shared, containerPath: "/slave", propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER },
        ],
        linux: { securityContext: { capabilities: { addCapabilities: ["SYS_ADMIN"] } } },
      }));
      const status = (await r.cri.call((await import("../../src/gen/index.js")).RuntimeService.method.containerStatus, { containerId: id })).status;
      assert.deepEqual(status?.mounts.map((m) => [m.containerPath, m.propagation]).sort(), [["/shared", MountPropagation.PROPAGATION_BIDIRECTIONAL], ["/slave", MountPropagation.PROPAGATION_HOST_TO_CONTAINER]]);
      // Container → host: a tmpfs mounted inside shows up on the host.
      assert.equal((await r.exec(id, ["sh", "-c", "mkdir -p /shared/inner && mount -t tmpfs tmpfs /shared/inner && echo hi > /shared/inner/f"])).exitCode, 0);
      await sleep(100);
      assert.equal(await readFile(join(shared, "inner", "f"), "utf8"), "hi\n");
      await run("umount", [join(shared, "inner")]);
      // Host → container (rslave).
      await mkdir(join(shared, "fromhost"), { recursive: true });
      await run("mount", ["-t", "tmpfs", "tmpfs", join(shared, "fromhost")]);
      await writeFile(join(shared, "fromhost", "g"), "host\n");
      assert.equal((await r.exec(id, ["cat", "/slave/fromhost/g"])).stdout, "host\n");
      await r.cri.call((await import("../../src/gen/index.js")).RuntimeService.method.removeContainer, { containerId: id });
      await run("umount", [join(shared, "fromhost")]);
    } finally {
      await run("umount", ["-R", shared]).catch(() => undefined);
    }
  });

  it("gives a host-network pod's containers the node's hostname", async () => {
    const hostPod = await r.pod("hostnet", { linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } } });
    const id = await r.run(hostPod, r.container("hn", { linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } } }));
    const { hostname } = await import("node:os");
    assert.equal((await r.exec(id, ["hostname"])).stdout.trim(), hostname());
  });
});
