import { Command, CommanderError, Option } from "commander";
import { CriError } from "../errors/index.js";
import { logLevels, type LogLevel } from "../logger/index.js";
import { parseBindAddress, parseCidr, parseCidrList } from "../util/net-address.js";
import {
  cgroupDrivers,
  containerLogModes,
  containerRuntimes,
  hairpinModes,
  networkPlugins,
  type CgroupDriverName,
  type ContainerLogMode,
  type Config,
  type ContainerRuntime,
  type Endpoint,
  type HairpinMode,
  type NetworkPluginName,
} from "./config.js";
import { formatDuration, parseDuration } from "./duration.js";
import { resolveListenFd } from "./systemd-fds.js";
import { parseTestHooks } from "./test-hooks.js";

export const programName = "docker-cri";
export const programVersion = "0.1.0";

/** What the command line asks for: run the daemon, or print something and exit 0. */
export type FlagsResult =
  | { kind: "run"; config: Config }
  | { kind: "print"; text: string };

/**
 * Flag names and defaults follow cri-dockerd, so that a cri-dockerd systemd unit works by swapping the
 * binary; the rest come from the kubelet's dockershim options (before Kubernetes 1.24) that cri-dockerd lacks.
 */
const defaults = {
  containerRuntime: "docker",
  remoteRuntimeEndpoint: "",
  containerRuntimeEndpoint: "unix:///run/docker-cri.sock",
  socketGroup: "",
  dockerEndpoint: "unix:///var/run/docker.sock",
  rootDirectory: "/var/lib/docker-cri",
  podInfraContainerImage: "registry.k8s.io/pause:3.10",
  imagePullProgressDeadline: "1m0s",
  runtimeRequestTimeout: "2m0s",
  streamingBindAddr: "",
  streamingConnectionIdleTimeout: "4h0m0s",
  runtimeCgroups: "",
  cgroupDriver: "",
  networkPlugin: "cni",
  cniConfDir: "/etc/cni/net.d",
  cniBinDir: "/opt/cni/bin",
  cniCacheDir: "/var/lib/cni/cache",
  networkPluginMtu: "0",
  hairpinMode: "hairpin-veth",
  podCidr: "",
  nonMasqueradeCidr: "10.0.0.0/8",
  metricsBindAddress: "127.0.0.1:9966",
  logLevel: "info",
  containerLogMode: "cri",
} as const;

function buildCommand(): Command {
  const cmd = new Command(programName)
    .description("Kubernetes CRI v1 runtime for Docker Engine: serves RuntimeService and ImageService on a unix socket and carries every call out on dockerd.")
    .helpOption("-h, --help", "Print this help and exit.")
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const opt = (flags: string, text: string, def?: string): void => {
    const o = new Option(flags, text);
    if (def !== undefined) o.default(def);
    cmd.addOption(o);
  };
  opt("--container-runtime <name>", `Runtime to serve: "docker" (carry CRI out on dockerd) or "remote" (proxy to --remote-runtime-endpoint).`, defaults.containerRuntime);
  opt("--remote-runtime-endpoint <endpoint>", "With --container-runtime=remote: the CRI socket of the runtime to forward every call to.", defaults.remoteRuntimeEndpoint);
  opt("--container-runtime-endpoint <endpoint>", "Where to serve CRI: a unix socket path, a unix:// URL, or fd:// for a socket passed by systemd socket activation.", defaults.containerRuntimeEndpoint);
  opt("--socket-group <group>", "Group (name or gid) that owns the CRI unix socket, as dockerd's --group; the socket is mode 0660. Empty: docker-cri's primary group. With fd://, systemd's SocketGroup= applies instead.", defaults.socketGroup);
  opt("--docker-endpoint <endpoint>", "The Docker Engine API endpoint to talk to (unix:// path, or tcp://host:port).", defaults.dockerEndpoint);
  opt("--cri-dockerd-root-directory <dir>", "Root directory for docker-cri's own state (sandbox checkpoints).", defaults.rootDirectory);
  opt("--pod-infra-container-image <image>", "The image whose network/IPC namespaces the containers of each pod share (the pause image).", defaults.podInfraContainerImage);
  opt("--image-pull-progress-deadline <duration>", "Cancel an image pull that makes no progress for this long (the extracting phase does not count as stalled).", defaults.imagePullProgressDeadline);
  opt("--runtime-request-timeout <duration>", "Timeout of every Docker request except long-running ones (pull, logs, exec, attach).", defaults.runtimeRequestTimeout);
  opt("--streaming-bind-addr <addr>", "Address (ip or ip:port) of the exec/attach/port-forward streaming server; empty binds loopback on a free port.", defaults.streamingBindAddr);
  opt("--streaming-connection-idle-timeout <duration>", "Close a streaming connection idle for longer than this.", defaults.streamingConnectionIdleTimeout);
  opt("--runtime-cgroups <cgroup>", "Optional absolute name of the cgroup to place dockerd and containerd in.", defaults.runtimeCgroups);
  opt("--cgroup-driver <driver>", `Expected cgroup driver ("cgroupfs" or "systemd"); start-up fails if Docker's differs. Empty: use Docker's.`, defaults.cgroupDriver);
  opt("--network-plugin <name>", `Pod network plugin: "cni" (cri-dockerd's default), "kubenet", or "" for Docker's own bridge networking.`, defaults.networkPlugin);
  opt("--cni-conf-dir <dir>", "Directory searched for CNI network configuration files (.conf, .conflist, .json).", defaults.cniConfDir);
  opt("--cni-bin-dir <dirs>", "Comma-separated list of directories searched for CNI plugin binaries.", defaults.cniBinDir);
  opt("--cni-cache-dir <dir>", "Directory where CNI stores its cache (results needed for DEL after a restart).", defaults.cniCacheDir);
  opt("--network-plugin-mtu <mtu>", "MTU passed to the network plugin; 0 detects it from the host (default 1460 when it cannot).", defaults.networkPluginMtu);
  opt("--hairpin-mode <mode>", `How a pod reaches itself through its service: "hairpin-veth", "promiscuous-bridge" or "none".`, defaults.hairpinMode);
  opt("--pod-cidr <cidr>", "Pod CIDR(s) for kubenet in standalone mode (comma-separated for dual-stack); in a cluster the kubelet sends it.", defaults.podCidr);
  cmd.addOption(new Option("--ipv6-dual-stack [bool]", "Enable dual-stack (IPv4 and IPv6) pod networking.").default(false).argParser(parseBoolFlag));
  opt("--non-masquerade-cidr <cidr>", "Traffic to addresses outside this range is masqueraded (kubenet).", defaults.nonMasqueradeCidr);
  opt("--metrics-bind-address <addr>", "ip:port where /metrics is served; empty disables it.", defaults.metricsBindAddress);
  opt("--container-log-mode <mode>", `How container logs reach the kubelet's log path: "cri" (docker-cri writes CRI-format files, ReopenContainerLog works) or "json-symlink" (cri-dockerd's symlink to Docker's json-file log).`, defaults.containerLogMode);
  opt("--log-level <level>", `Log level: ${logLevels.join(", ")} (also panic, warning).`, defaults.logLevel);
  cmd.addOption(new Option("--version", "Print the version and exit."));
  cmd.addOption(new Option("--buildinfo", "Print build information and exit."));
  return cmd;
}

/** pflag-style booleans: `--flag`, `--flag=true`, `--flag=false`. */
function parseBoolFlag(value: string | undefined): boolean {
  if (value === undefined || value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new CriError("InvalidArgument", `Invalid value "${value}" for a boolean flag: use true or false`);
}

function bad(flag: string, value: string, why: string): CriError {
  return new CriError("InvalidArgument", `Invalid --${flag} "${value}": ${why}`);
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    throw bad(flag, value, `must be one of ${allowed.map((a) => (a === "" ? '""' : a)).join(", ")}`);
  }
  return found;
}

function duration(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 0) throw bad(flag, value, "not a duration (examples: 30s, 2m, 1h30m)");
  return ms;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Parses a CRI endpoint flag: "/path", "unix:///path", or "fd://" / "fd://<name>" for systemd sockets. */
export function parseEndpoint(value: string, env: Env = {}, pid = process.pid): Endpoint {
  if (value.startsWith("fd://")) return { kind: "fd", fd: resolveListenFd(value.slice("fd://".length), env, pid) };
  if (value.startsWith("unix://")) {
    const path = value.slice("unix://".length);
    if (!path.startsWith("/")) throw bad("container-runtime-endpoint", value, "a unix:// endpoint needs an absolute path");
    return { kind: "unix", path };
  }
  if (value.startsWith("/")) return { kind: "unix", path: value };
  throw bad("container-runtime-endpoint", value, "use a unix socket path, unix:///path or fd://");
}

function logLevel(value: string): LogLevel {
  if (value === "warning") return "warn";
  if (value === "panic") return "fatal";
  return oneOf("log-level", value, logLevels);
}

type RawFlags = Record<string, string | boolean | undefined>;

function str(raw: RawFlags, key: string): string {
  const v = raw[key];
  return typeof v === "string" ? v : "";
}

function toConfig(raw: RawFlags, env: Env): Config {
  const containerRuntime = str(raw, "containerRuntime");
  if (!containerRuntimes.some((r) => r === containerRuntime)) {
    throw new CriError("InvalidArgument", `unsupported CRI runtime: "${containerRuntime}"`);
  }
  const runtime = containerRuntime as ContainerRuntime; // checked just above
  const remoteRuntimeEndpoint = str(raw, "remoteRuntimeEndpoint");
  if (runtime === "remote" && remoteRuntimeEndpoint === "") {
    throw new CriError("InvalidArgument", "--container-runtime=remote needs --remote-runtime-endpoint");
  }
  const endpointText = str(raw, "containerRuntimeEndpoint");
  const endpoint = parseEndpoint(endpointText, env);
  const socketGroup = str(raw, "socketGroup");
  if (socketGroup !== "" && endpoint.kind === "fd") {
    throw bad("socket-group", socketGroup, "the socket comes from systemd (fd://): set SocketGroup= in its .socket unit instead");
  }
  if (socketGroup !== "" && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(socketGroup)) throw bad("socket-group", socketGroup, "not a group name or gid");

  const dockerEndpoint = str(raw, "dockerEndpoint");
  if (!/^(unix:\/\/\/|\/|tcp:\/\/|http:\/\/)/.test(dockerEndpoint)) {
    throw bad("docker-endpoint", dockerEndpoint, "use unix:///path, a socket path, or tcp://host:port");
  }
  const rootDirectory = str(raw, "criDockerdRootDirectory");
  if (!rootDirectory.startsWith("/")) throw bad("cri-dockerd-root-directory", rootDirectory, "must be an absolute path");
  const podInfraContainerImage = str(raw, "podInfraContainerImage");
  if (podInfraContainerImage === "") throw bad("pod-infra-container-image", podInfraContainerImage, "must not be empty");

  const streamingText = str(raw, "streamingBindAddr");
  const streaming = streamingText === "" ? { host: "127.0.0.1", port: 0 } : parseBindAddress(streamingText, false);
  if (streaming === undefined) throw bad("streaming-bind-addr", streamingText, "not an IP address with an optional port");

  const metricsText = str(raw, "metricsBindAddress");
  const metricsBind = metricsText === "" ? undefined : parseBindAddress(metricsText, true);
  if (metricsText !== "" && metricsBind === undefined) throw bad("metrics-bind-address", metricsText, "not ip:port");

  const cgroupText = str(raw, "cgroupDriver");
  const cgroupDriver: CgroupDriverName | undefined = cgroupText === "" ? undefined : oneOf("cgroup-driver", cgroupText, cgroupDrivers);
  const networkPlugin: NetworkPluginName = oneOf("network-plugin", str(raw, "networkPlugin"), networkPlugins);
  const hairpinMode: HairpinMode = oneOf("hairpin-mode", str(raw, "hairpinMode"), hairpinModes);

  const mtuText = str(raw, "networkPluginMtu");
  const mtu = Number(mtuText);
  if (!/^\d+$/.test(mtuText) || mtu > 65535 || (mtu !== 0 && mtu < 576)) throw bad("network-plugin-mtu", mtuText, "must be 0 or an MTU between 576 and 65535");

  const podCidr = str(raw, "podCidr");
  const cidrs = parseCidrList(podCidr);
  if (cidrs === undefined || cidrs.length > 2) throw bad("pod-cidr", podCidr, "must be one CIDR, or two (IPv4 and IPv6) separated by a comma");
  const nonMasq = str(raw, "nonMasqueradeCidr");
  if (parseCidr(nonMasq) === undefined) throw bad("non-masquerade-cidr", nonMasq, "not a CIDR");

  const cniBinDirs = str(raw, "cniBinDir").split(",").map((d) => d.trim()).filter((d) => d !== "");
  const runtimeCgroups = str(raw, "runtimeCgroups");
  if (runtimeCgroups !== "" && !runtimeCgroups.startsWith("/")) throw bad("runtime-cgroups", runtimeCgroups, "must be an absolute cgroup name");

  return Object.freeze({
    containerRuntime: runtime,
    remoteRuntimeEndpoint,
    endpoint,
    endpointText,
    socketGroup,
    dockerEndpoint,
    rootDirectory,
    podInfraContainerImage,
    imagePullProgressDeadlineMs: duration("image-pull-progress-deadline", str(raw, "imagePullProgressDeadline")),
    runtimeRequestTimeoutMs: duration("runtime-request-timeout", str(raw, "runtimeRequestTimeout")),
    streamingBindHost: streaming.host,
    streamingBindPort: streaming.port,
    streamingConnectionIdleTimeoutMs: duration("streaming-connection-idle-timeout", str(raw, "streamingConnectionIdleTimeout")),
    runtimeCgroups,
    cgroupDriver,
    networkPlugin,
    cniConfDir: str(raw, "cniConfDir"),
    cniBinDirs: Object.freeze(cniBinDirs),
    cniCacheDir: str(raw, "cniCacheDir"),
    networkPluginMtu: mtu,
    hairpinMode,
    podCidr,
    ipv6DualStack: raw.ipv6DualStack === true,
    nonMasqueradeCidr: nonMasq,
    metricsBind: metricsBind === undefined ? undefined : Object.freeze(metricsBind),
    logLevel: logLevel(str(raw, "logLevel")),
    containerLogMode: oneOf<ContainerLogMode>("container-log-mode", str(raw, "containerLogMode"), containerLogModes),
    testHooks: parseTestHooks(env),
  });
}

/**
 * Parses argv (without node and the script); `env` is read only for systemd's LISTEN_* variables and the test-only hooks (test-hooks.ts). Throws a CriError of kind InvalidArgument with a message
 * naming the flag; never exits the process itself.
 */
export function parseFlags(argv: readonly string[], env: Env = {}): FlagsResult {
  const cmd = buildCommand();
  try {
    cmd.parse([...argv], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.help") return { kind: "print", text: helpText() };
      throw new CriError("InvalidArgument", err.message.replace(/^error: /, ""), { cause: err });
    }
    throw err;
  }
  const raw = cmd.opts<RawFlags>();
  if (raw.version === true) return { kind: "print", text: `${programName} ${programVersion}\n` };
  if (raw.buildinfo === true) {
    return { kind: "print", text: `Program: ${programName}\nVersion: ${programVersion}\nNode.js version: ${process.version}\n` };
  }
  return { kind: "run", config: toConfig(raw, env) };
}

export function helpText(): string {
  return buildCommand().helpInformation();
}

/** Durations as operators wrote them, for logging the effective config. */
export function describeDuration(ms: number): string {
  return formatDuration(ms);
}
