import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CriError } from "../errors/index.js";
import { formatDuration, parseDuration } from "./duration.js";
import { parseFlags } from "./flags.js";

function run(argv: string[], env: Record<string, string> = {}) {
  const r = parseFlags(argv, env);
  if (r.kind !== "run") throw new assert.AssertionError({ message: `expected a run config, got ${r.kind}` });
  return r.config;
}

describe("parseFlags", () => {
  it("has cri-dockerd's defaults, with our socket and root directory", () => {
    const c = run([]);
    assert.deepEqual(c.endpoint, { kind: "unix", path: "/run/docker-cri.sock" });
    assert.equal(c.dockerEndpoint, "unix:///var/run/docker.sock");
    assert.equal(c.rootDirectory, "/var/lib/docker-cri");
    assert.equal(c.podInfraContainerImage, "registry.k8s.io/pause:3.10");
    assert.equal(c.imagePullProgressDeadlineMs, 60_000);
    assert.equal(c.runtimeRequestTimeoutMs, 120_000);
    assert.equal(c.streamingConnectionIdleTimeoutMs, 4 * 3600_000);
    assert.equal(c.networkPlugin, "cni");
    assert.equal(c.cniConfDir, "/etc/cni/net.d");
    assert.deepEqual(c.cniBinDirs, ["/opt/cni/bin"]);
    assert.equal(c.cniCacheDir, "/var/lib/cni/cache");
    assert.equal(c.hairpinMode, "hairpin-veth");
    assert.equal(c.nonMasqueradeCidr, "10.0.0.0/8");
    assert.equal(c.cgroupDriver, undefined);
    assert.equal(c.containerRuntime, "docker");
    assert.deepEqual(c.metricsBind, { host: "127.0.0.1", port: 9966 });
    assert.equal(c.streamingBindHost, "127.0.0.1");
    assert.equal(c.streamingBindPort, 0);
    assert.ok(Object.isFrozen(c));
  });

  it("accepts a cri-dockerd systemd unit's flags unchanged", () => {
    const c = run([
      "--container-runtime-endpoint", "unix:///var/run/cri-dockerd.sock",
      "--network-plugin=cni", "--cni-bin-dir=/opt/cni/bin,/usr/lib/cni", "--pod-infra-container-image=registry.k8s.io/pause:3.9",
      "--image-pull-progress-deadline=2m30s", "--runtime-request-timeout=90s", "--streaming-bind-addr=0.0.0.0:10010",
      "--ipv6-dual-stack=true", "--hairpin-mode=promiscuous-bridge", "--pod-cidr=10.244.0.0/16,fd00:10:244::/64",
      "--network-plugin-mtu=1450", "--log-level=warning", "--runtime-cgroups=/system.slice/docker.service",
    ]);
    assert.deepEqual(c.endpoint, { kind: "unix", path: "/var/run/cri-dockerd.sock" });
    assert.deepEqual(c.cniBinDirs, ["/opt/cni/bin", "/usr/lib/cni"]);
    assert.equal(c.imagePullProgressDeadlineMs, 150_000);
    assert.equal(c.runtimeRequestTimeoutMs, 90_000);
    assert.equal(c.streamingBindHost, "0.0.0.0");
    assert.equal(c.streamingBindPort, 10010);
    assert.equal(c.ipv6DualStack, true);
    assert.equal(c.networkPluginMtu, 1450);
    assert.equal(c.logLevel, "warn");
    assert.equal(c.runtimeCgroups, "/system.slice/docker.service");
  });

  it("resolves fd:// from systemd's LISTEN_* variables", () => {
    const c = run(["--container-runtime-endpoint=fd://"], { LISTEN_PID: String(process.pid), LISTEN_FDS: "1" });
    assert.deepEqual(c.endpoint, { kind: "fd", fd: 3 });
    const named = run(["--container-runtime-endpoint=fd://cri"], { LISTEN_PID: String(process.pid), LISTEN_FDS: "2", LISTEN_FDNAMES: "other:cri" });
    assert.deepEqual(named.endpoint, { kind: "fd", fd: 4 });
    assert.throws(() => run(["--container-runtime-endpoint=fd://"], { LISTEN_PID: "1", LISTEN_FDS: "1" }), /no socket was passed by systemd/);
  });

  it("takes a socket group for a socket path, and refuses one for a systemd socket", () => {
    assert.equal(run([]).socketGroup, "");
    assert.equal(run(["--socket-group=docker"]).socketGroup, "docker");
    assert.equal(run(["--socket-group", "998"]).socketGroup, "998");
    assert.throws(() => run(["--container-runtime-endpoint=fd://", "--socket-group=docker"], { LISTEN_PID: String(process.pid), LISTEN_FDS: "1" }), /Invalid --socket-group "docker": the socket comes from systemd \(fd:\/\/\): set SocketGroup= in its \.socket unit instead/);
  });

  it("rejects bad values with InvalidArgument naming the flag", () => {
    const bad: [string[], RegExp][] = [
      [["--container-runtime=containerd"], /^unsupported CRI runtime: "containerd"$/],
      [["--container-runtime=remote"], /needs --remote-runtime-endpoint/],
      [["--container-runtime-endpoint=tcp://1.2.3.4:1"], /Invalid --container-runtime-endpoint/],
      [["--docker-endpoint=npipe:////./pipe/docker"], /Invalid --docker-endpoint/],
      [["--metrics-bind-address=127.0.0.1"], /Invalid --metrics-bind-address "127.0.0.1": not ip:port/],
      [["--streaming-connection-idle-timeout=-1s"], /Invalid --streaming-connection-idle-timeout/],
      [["--non-masquerade-cidr=10.0.0.0"], /Invalid --non-masquerade-cidr/],
      [["--ipv6-dual-stack=maybe"], /boolean flag/],
      [["--cri-dockerd-root-directory=relative"], /must be an absolute path/],
      [["--socket-group=a:b"], /Invalid --socket-group "a:b": not a group name or gid/],
    ];
    for (const [argv, re] of bad) {
      assert.throws(() => parseFlags(argv, {}), (err: unknown) => err instanceof CriError && err.kind === "InvalidArgument" && re.test(err.message), argv.join(" "));
    }
  });

  it("prints help and version instead of running", () => {
    const help = parseFlags(["--help"]);
    if (help.kind !== "print") throw new assert.AssertionError({ message: "--help should print" });
    {
      for (const flag of ["--container-runtime-endpoint", "--docker-endpoint", "--cri-dockerd-root-directory", "--pod-infra-container-image", "--image-pull-progress-deadline", "--runtime-request-timeout", "--streaming-bind-addr", "--runtime-cgroups", "--network-plugin", "--cni-conf-dir", "--cni-bin-dir", "--cni-cache-dir", "--network-plugin-mtu", "--hairpin-mode", "--pod-cidr", "--ipv6-dual-stack", "--log-level", "--version", "--container-runtime", "--cgroup-driver", "--non-masquerade-cidr", "--streaming-connection-idle-timeout", "--metrics-bind-address", "--socket-group"]) {
        assert.ok(help.text.includes(`${flag} `) || help.text.includes(`${flag}\n`), `help lists ${flag}`);
      }
    }
    const v = parseFlags(["--version"]);
    assert.deepEqual(v, { kind: "print", text: "docker-cri 0.1.0\n" });
  });
});

describe("Go durations", () => {
  it("parses and formats like time.Duration", () => {
    assert.equal(parseDuration("2m"), 120_000);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("0"), 0);
    assert.equal(parseDuration("5"), undefined);
    assert.equal(parseDuration("soon"), undefined);
    assert.equal(formatDuration(120_000), "2m0s");
    assert.equal(formatDuration(4 * 3600_000), "4h0m0s");
    assert.equal(formatDuration(1500), "1.5s");
  });
});
