/**
 * The security properties docs/threat-model.md relies on, checked against the running daemon:
 * the CRI socket's mode and owner; the streaming server on loopback with single-use 128-bit tokens;
 * /metrics without pod data; registry credentials absent from logs, metrics and verbose answers; and
 * privileges and host namespaces exactly as the CRI request asks, read back from Docker and /proc.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ImageService, NamespaceMode, RuntimeService, SecurityProfile_ProfileType } from "../../src/gen/index.js";
import { parseFlags } from "../../src/config/index.js";
import type { CriClient } from "../kit/cri-client.js";
import { metricsAddressOf, runExpectingFailure, startDaemon, type Daemon } from "../kit/daemon.js";
import { BUSYBOX_IMAGE } from "../kit/images.js";
import { startSocketActivated } from "../kit/socket-activation.js";
import { spdyUpgrade } from "../kit/spdy-client.js";
import { field, inspect, newRun, removeRunContainers, startSandboxDaemon, type PodInit, type SandboxRun } from "../kit/sandbox-run.js";

/** Capability bits (linux/capability.h). */
const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

async function capEff(pid: number): Promise<bigint> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? "0"}`);
}
const has = (caps: bigint, bit: bigint): boolean => ((caps >> bit) & 1n) === 1n;

describe("security", { timeout: 180_000 }, () => {
  describe("the CRI socket", () => {
    it("is created 0660, owned by docker-cri's user and group, whatever the umask", async () => {
      // An operator's umask of 000 must not widen it: the mode is set while binding, not after.
      const d = await startDaemon({ wrap: (node, args) => ({ command: "/bin/sh", args: ["-c", 'umask 000; exec "$0" "$@"', node, ...args] }) });
      try {
        const st = await stat(d.socketPath);
        assert.ok(st.isSocket());
        assert.equal(st.mode & 0o777, 0o660, `mode ${(st.mode & 0o777).toString(8)}`);
        assert.equal(st.uid, process.getuid?.());
        assert.equal(st.gid, process.getgid?.());
        assert.equal((await d.client().call(RuntimeService.method.version, {})).runtimeName, "docker");
      } finally {
        await d.stop();
        await d.cleanup();
      }
    });

    it("hands the socket to the group --socket-group names, still 0660, and refuses a group that does not exist", async () => {
      const d = await startDaemon({ args: ["--socket-group=4243"] });
      try {
        const st = await stat(d.socketPath);
        assert.equal(st.mode & 0o777, 0o660);
        assert.equal(st.uid, process.getuid?.());
        assert.equal(st.gid, 4243);
      } finally {
        await d.stop();
        await d.cleanup();
      }
      const failed = await runExpectingFailure([`--socket-group=no-such-group-${randomBytes(3).toString("hex")}`]);
      assert.notEqual(failed.code, 0);
      assert.match(failed.stderr, /Cannot look up group "no-such-group-[0-9a-f]+": no such group in \/etc\/group/);
    });

    it("keeps the mode and owner systemd gave a socket passed with fd://", async () => {
      // What SocketMode=0600 and SocketGroup= (gid 4242 here) would have made.
      const activated = await startSocketActivated(async (bound) => {
        await chmod(bound, 0o600);
        await chown(bound, 0, 4242);
      });
      try {
        const st = await stat(activated.path);
        assert.equal(st.mode & 0o777, 0o600);
        assert.equal(st.gid, 4242);
      } finally {
        await activated.dispose();
      }
    });
  });

  describe("with pods", () => {
    let run: SandboxRun;
    let daemon: Daemon;
    let cri: CriClient;
    const secrets = {
      username: `user-${randomBytes(6).toString("hex")}`,
      password: `pass-${randomBytes(12).toString("hex")}`,
      identityToken: `idtok-${randomBytes(12).toString("hex")}`,
      registryToken: `regtok-${randomBytes(12).toString("hex")}`,
    };
    const authSecret = `auser-${randomBytes(6).toString("hex")}:apass-${randomBytes(12).toString("hex")}`;
    const podData: string[] = [];
    let pod: PodInit;
    let sandboxId: string;
    let containerId: string;

    before(async () => {
      run = newRun();
      // Trace: the most the daemon ever logs.
      daemon = await startSandboxDaemon({ args: ["--log-level=trace"] });
      cri = daemon.client();
      const uid = randomUUID();
      const labelValue = `labelvalue${randomBytes(4).toString("hex")}`;
      const annotationValue = `annotation${randomBytes(4).toString("hex")}`;
      pod = {
        ...run.pod(`secpod${randomBytes(3).toString("hex")}`, { labels: { "sec-label": labelValue }, annotations: { "sec-annotation": annotationValue } }),
        metadata: { name: `secpod-${run.runId}`, namespace: `secns-${run.runId}`, uid, attempt: 0 },
        hostname: `sechost-${run.runId}`,
      };
      sandboxId = (await cri.call(RuntimeService.method.runPodSandbox, { config: pod }, { deadlineMs: 60_000 })).podSandboxId;
      containerId = (await cri.call(RuntimeService.method.createContainer, {
        podSandboxId: sandboxId,
        sandboxConfig: pod,
        config: {
          metadata: { name: `secctr-${run.runId}` },
          image: { image: BUSYBOX_IMAGE },
          command: ["sleep", "600"],
          labels: run.selector,
          envs: [{ key: "SECRET_ENV", value: Buffer.from(`envvalue-${run.runId}`) }],
          // What a kubelet sends for a pod that asks for nothing special (with SeccompDefault on).
          linux: { securityContext: { seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } } },
        },
      })).containerId;
      await cri.call(RuntimeService.method.startContainer, { containerId });
      podData.push(sandboxId, sandboxId.slice(0, 12), containerId, containerId.slice(0, 12), `secpod-${run.runId}`, `secns-${run.runId}`, uid, labelValue, annotationValue, `secctr-${run.runId}`, `sechost-${run.runId}`, `envvalue-${run.runId}`);
      // Calls that fail naming the objects (and a few that succeed) so that every code path counts something.
      await cri.call(RuntimeService.method.containerStatus, { containerId, verbose: true });
      await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: sandboxId, verbose: true });
      await cri.call(RuntimeService.method.execSync, { containerId, cmd: ["true"] });
      await cri.call(RuntimeService.method.containerStatus, { containerId: `${containerId.slice(0, 20)}ffff` }).catch(() => undefined);
    });
    after(async () => {
      await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: sandboxId }).catch(() => undefined);
      await daemon.stop();
      await daemon.cleanup();
      await removeRunContainers(run);
    });

    it("binds the streaming server to loopback and hands out single-use tokens of 128 random bits", async () => {
      const defaults = parseFlags([], {});
      assert.ok(defaults.kind === "run");
      assert.equal(defaults.config.streamingBindHost, "127.0.0.1", "streaming binds loopback unless told otherwise");
      assert.equal(defaults.config.metricsBind?.host, "127.0.0.1", "so does /metrics");

      const url = (await cri.call(RuntimeService.method.exec, { containerId, cmd: ["true"], stdout: true })).url;
      const { hostname, port } = new URL(url);
      assert.equal(hostname, "127.0.0.1");
      // The listening socket itself is bound to 127.0.0.1 (0100007F in /proc/net/tcp), not to any address.
      const listening = (await readFile("/proc/net/tcp", "utf8")).split("\n").filter((l) => l.includes(`:${Number(port).toString(16).toUpperCase().padStart(4, "0")} `) && l.trim().split(/\s+/)[3] === "0A");
      assert.deepEqual(listening.map((l) => l.trim().split(/\s+/)[1]?.split(":")[0]), ["0100007F"]);

      // 900 tokens (the cache holds 1,000): all distinct, each 16 bytes, and every bit position set
      // about half the time (within 5 standard deviations: 450 ± 75).
      const tokens = await Promise.all(Array.from({ length: 900 }, async () => {
        const u = (await cri.call(RuntimeService.method.exec, { containerId, cmd: ["true"], stdout: true })).url;
        return u.slice(u.lastIndexOf("/") + 1);
      }));
      assert.equal(new Set(tokens).size, tokens.length);
      const ones = new Array<number>(128).fill(0);
      for (const t of tokens) {
        assert.match(t, /^[A-Za-z0-9_-]{22}$/);
        const bytes = Buffer.from(t, "base64url");
        assert.equal(bytes.length, 16);
        for (let bit = 0; bit < 128; bit++) if (((bytes[bit >> 3] ?? 0) >> (bit & 7)) & 1) ones[bit] = (ones[bit] ?? 0) + 1;
      }
      for (const [bit, n] of ones.entries()) assert.ok(Math.abs(n - 450) < 75, `bit ${bit} set in ${n} of 900 tokens`);
      // Single use: the first connection spends it.
      const first = await spdyUpgrade(url, ["v4.channel.k8s.io"]);
      assert.equal(first.status, 101);
      first.client?.destroy();
      assert.equal((await spdyUpgrade(url, ["v4.channel.k8s.io"])).status, 404);
    });

    it("exposes no pod data on /metrics, only bounded labels", async () => {
      const text = await (await fetch(`http://${metricsAddressOf(daemon) ?? ""}/metrics`)).text();
      for (const v of podData) assert.ok(!text.includes(v), `/metrics holds "${v}"`);
      const allowedLabels = new Set(["method", "code", "operation_type", "le", "type", "space", "kind", "version", "major", "minor", "patch"]);
      for (const line of text.split("\n")) {
        if (line.startsWith("#") || line === "") continue;
        const labels = /\{(.*)\}/.exec(line)?.[1] ?? "";
        for (const [, name, value] of labels.matchAll(/(\w+)="([^"]*)"/g)) {
          assert.ok(allowedLabels.has(name ?? ""), `label "${name ?? ""}" in: ${line}`);
          if (name === "method" || name === "code" || name === "operation_type") assert.match(value ?? "", /^[A-Za-z_]+$/, line);
        }
      }
      assert.match(text, /docker_cri_rpc_requests_total\{method="ContainerStatus",code="NotFound"\} 1/);
    });

    it("never lets registry credentials reach the log, /metrics or verbose answers", async () => {
      const image = `127.0.0.1:9/docker-cri-sec/${run.runId}:latest`;
      const auths = [
        { username: secrets.username, password: secrets.password },
        { auth: Buffer.from(authSecret).toString("base64") },
        { identityToken: secrets.identityToken },
        { registryToken: secrets.registryToken },
      ];
      for (const auth of auths) {
        const err = await cri.call(ImageService.method.pullImage, { image: { image }, auth }, { deadlineMs: 30_000 }).then(() => undefined, (e: unknown) => e);
        assert.ok(err !== undefined, "the pull from a closed port fails");
        const raw: unknown = typeof err === "object" && err !== null ? Reflect.get(err, "details") : undefined;
        const details = typeof raw === "string" ? raw : "";
        for (const s of [...Object.values(secrets), authSecret, ...authSecret.split(":")]) assert.ok(!details.includes(s), `the error message holds a credential: ${details}`);
      }
      const verbose = [
        JSON.stringify((await cri.call(RuntimeService.method.status, { verbose: true })).info),
        JSON.stringify((await cri.call(ImageService.method.imageStatus, { image: { image: BUSYBOX_IMAGE }, verbose: true })).info),
        JSON.stringify((await cri.call(RuntimeService.method.podSandboxStatus, { podSandboxId: sandboxId, verbose: true })).info),
        JSON.stringify((await cri.call(RuntimeService.method.containerStatus, { containerId, verbose: true })).info),
      ];
      const metrics = await (await fetch(`http://${metricsAddressOf(daemon) ?? ""}/metrics`)).text();
      const log = daemon.stderr();
      assert.match(log, /"withCredentials":true/, "the pulls were logged, without their credentials");
      const needles = [...Object.values(secrets), authSecret, ...authSecret.split(":"), Buffer.from(authSecret).toString("base64"), Buffer.from(`${secrets.username}:${secrets.password}`).toString("base64")];
      for (const s of needles) {
        assert.ok(!log.includes(s), `the log holds "${s}"`);
        assert.ok(!metrics.includes(s), `/metrics holds "${s}"`);
        for (const v of verbose) assert.ok(!v.includes(s), `a verbose answer holds "${s}"`);
      }
    });

    it("grants no privilege and no host namespace that was not asked for", async () => {
      const sandbox = await inspect(sandboxId);
      assert.equal(field(sandbox, "HostConfig", "Privileged"), false);
      assert.notEqual(field(sandbox, "HostConfig", "NetworkMode"), "host");
      assert.notEqual(field(sandbox, "HostConfig", "PidMode"), "host");
      assert.equal(field(sandbox, "HostConfig", "IpcMode"), "shareable");
      assert.ok((field(sandbox, "HostConfig", "SecurityOpt") as string[]).includes("no-new-privileges")); // Docker answers SecurityOpt as a string list
      const container = await inspect(containerId);
      assert.equal(field(container, "HostConfig", "Privileged"), false);
      assert.equal(field(container, "HostConfig", "NetworkMode"), `container:${sandboxId}`);
      assert.equal(field(container, "HostConfig", "IpcMode"), `container:${sandboxId}`);
      assert.notEqual(field(container, "HostConfig", "PidMode"), "host");
      assert.deepEqual(field(container, "HostConfig", "CapAdd") ?? [], []);
      assert.deepEqual(field(container, "HostConfig", "Devices") ?? [], []);
      // RuntimeDefault is Docker's default seccomp profile: nothing unconfined. (A request with no
      // seccomp profile at all means unconfined in CRI, as in dockershim and containerd.)
      const opts = (field(container, "HostConfig", "SecurityOpt") ?? []) as string[]; // a string list, or null when empty
      assert.ok(!opts.some((o) => /unconfined/.test(o)), `SecurityOpt ${JSON.stringify(opts)}`);
      assert.match(await readFile(`/proc/${String(field(container, "State", "Pid"))}/status`, "utf8"), /^Seccomp:\s+2$/m, "the process runs under a seccomp filter");
      assert.ok(((field(container, "HostConfig", "MaskedPaths") ?? []) as string[]).length > 0, "Docker's masked paths apply"); // a string list
      const caps = await capEff(Number(field(container, "State", "Pid")));
      assert.ok(!has(caps, CAP_SYS_ADMIN) && !has(caps, CAP_NET_ADMIN), `CapEff ${caps.toString(16)}`);
    });

    it("does not follow a symlink planted at a container's log path", async () => {
      const dir = await mkdtemp(join(tmpdir(), "docker-cri-sec-logs-"));
      const victim = join(dir, "victim");
      await writeFile(victim, "precious\n");
      const logPod = { ...run.pod("seclogs"), logDirectory: join(dir, "pod") };
      const sandbox = (await cri.call(RuntimeService.method.runPodSandbox, { config: logPod }, { deadlineMs: 60_000 })).podSandboxId;
      try {
        const create = async (name: string) =>
          (await cri.call(RuntimeService.method.createContainer, {
            podSandboxId: sandbox,
            sandboxConfig: logPod,
            config: { metadata: { name }, image: { image: BUSYBOX_IMAGE }, command: ["sh", "-c", "while true; do echo injected-line; sleep 0.1; done"], labels: run.selector, logPath: `${name}.log` },
          })).containerId;
        // 1. Planted before the start: the log copy refuses the path, and nothing reaches the victim.
        await mkdir(join(dir, "pod"), { recursive: true });
        await symlink(victim, join(dir, "pod", "early.log"));
        const early = await create("early");
        await cri.call(RuntimeService.method.startContainer, { containerId: early }).catch(() => undefined);
        // 2. Swapped in while the container runs, then the kubelet's rotation asks for a reopen.
        const late = await create("late");
        await cri.call(RuntimeService.method.startContainer, { containerId: late });
        await new Promise((r) => setTimeout(r, 500));
        assert.match(await readFile(join(dir, "pod", "late.log"), "utf8"), /injected-line/, "the log is copied while it is a file");
        await rm(join(dir, "pod", "late.log"));
        await symlink(victim, join(dir, "pod", "late.log"));
        const reopened = await cri.call(RuntimeService.method.reopenContainerLog, { containerId: late }).then(() => "ok", (e: unknown) => e);
        await new Promise((r) => setTimeout(r, 1_000));
        assert.equal(await readFile(victim, "utf8"), "precious\n", `the symlink's target was written to (reopen: ${reopened instanceof Error ? reopened.message : JSON.stringify(reopened)})`);
        assert.notEqual(reopened, "ok", "ReopenContainerLog reports that it cannot open the log path");
      } finally {
        await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: sandbox });
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("gives host namespaces, capabilities and privilege exactly when asked", async () => {
      const hostPod = { ...run.pod("sechostns"), linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE, pid: NamespaceMode.NODE, ipc: NamespaceMode.NODE } } } };
      const hostSandbox = (await cri.call(RuntimeService.method.runPodSandbox, { config: hostPod }, { deadlineMs: 60_000 })).podSandboxId;
      try {
        const s = await inspect(hostSandbox);
        assert.deepEqual([field(s, "HostConfig", "NetworkMode"), field(s, "HostConfig", "PidMode"), field(s, "HostConfig", "IpcMode")], ["host", "host", "host"]);
        assert.equal(field(s, "HostConfig", "Privileged"), false, "host namespaces do not make the pod privileged");
        const mk = async (name: string, securityContext: object): Promise<Record<string, unknown> | undefined> => {
          const id = (await cri.call(RuntimeService.method.createContainer, {
            podSandboxId: hostSandbox,
            sandboxConfig: hostPod,
            config: { metadata: { name }, image: { image: BUSYBOX_IMAGE }, command: ["sleep", "600"], labels: run.selector, linux: { securityContext } },
          })).containerId;
          await cri.call(RuntimeService.method.startContainer, { containerId: id });
          return inspect(id);
        };
        const netAdmin = await mk("netadmin", { namespaceOptions: { network: NamespaceMode.NODE, pid: NamespaceMode.NODE, ipc: NamespaceMode.NODE }, capabilities: { addCapabilities: ["NET_ADMIN"] } });
        assert.equal(field(netAdmin, "HostConfig", "PidMode"), "host");
        assert.equal(field(netAdmin, "HostConfig", "Privileged"), false);
        const netCaps = await capEff(Number(field(netAdmin, "State", "Pid")));
        assert.ok(has(netCaps, CAP_NET_ADMIN) && !has(netCaps, CAP_SYS_ADMIN), `only NET_ADMIN was added: CapEff ${netCaps.toString(16)}`);
        const privileged = await mk("privileged", { privileged: true, namespaceOptions: { network: NamespaceMode.NODE, pid: NamespaceMode.NODE, ipc: NamespaceMode.NODE } });
        const privCaps = await capEff(Number(field(privileged, "State", "Pid")));
        assert.ok(has(privCaps, CAP_SYS_ADMIN), `a privileged container holds CAP_SYS_ADMIN: CapEff ${privCaps.toString(16)}`);
      } finally {
        await cri.call(RuntimeService.method.removePodSandbox, { podSandboxId: hostSandbox });
      }
    });
  });
});
