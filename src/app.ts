// The composition root. `buildApp` makes the Docker client; `start` runs start-up in the order the
// kubelet ran dockershim before RunKubelet, one named step per stage, then wires each CRI family with
// a small function of its own and serves CRI. Everything start acquires is released by `stop`, last
// acquired first.
import { join } from "node:path";
import { Registry, collectDefaultMetrics } from "prom-client";
import type { Config, HairpinMode } from "./config/index.js";
import { describeDuration, programVersion } from "./config/index.js";
import {
  ContainerEventHub,
  ImageCache,
  ImageIdentities,
  ImagePuller,
  containerTypeLabel,
  createStatsCollectors,
  dockerStreamingRuntime,
  eventContainerStatus,
  imageServiceImpl,
  killProcessTree,
  listHostDevices,
  openImageEvents,
  readHostSecurity,
  runtimeServiceImpl,
  sandboxIdLabel,
  stopUnnetworkedSandboxes,
  streamTargetLookup,
  versionFromEngine,
  type ContainerDeps,
  type ImageServiceDeps,
  type RuntimeInfoDeps,
  type SandboxDeps,
  type StatsDeps,
  type StreamingDeps,
} from "./cri/index.js";
import { createContainerLogManager, type ContainerLogManagerHandle } from "./container-logs/index.js";
import { DockerClient, EngineState, HttpTransport, type DockerInfo } from "./docker/index.js";
import { CriError } from "./errors/index.js";
import { ImageService, RuntimeService } from "./gen/index.js";
import { readHostLimits, resolveGroupId, startRuntimeCgroupManager, type HostLimits } from "./host/index.js";
import type { Logger } from "./logger/index.js";
import { createRpcMetrics, instrumentDockerTransport, instrumentNetworkPlugin, startMetricsServer, type MetricsServer } from "./metrics/index.js";
import { probeNetworkPlugin, type NetworkPlugin } from "./network/index.js";
import { startGrpcServer, startRemoteProxy, type ListenTarget } from "./server/index.js";
import { CachedContainersApi, StateCache } from "./state-cache/index.js";
import { CheckpointStore, NameRegistrar, openCheckpointDir } from "./store/index.js";
import { createStreamingService, startStreamingServer, type StreamingServer } from "./streaming-server/index.js";
import { Held } from "./util/held.js";
import { KeyedMutex } from "./util/keyed-mutex.js";

export interface App {
  /** Runs start-up in the kubelet's pre-RunKubelet order; throws a CriError saying what failed. */
  start(): Promise<void>;
  /** Graceful stop: stop accepting, let in-flight calls finish up to `graceMs`, release everything. */
  stop(graceMs: number): Promise<void>;
  /** Set once started. */
  readonly streamingBaseUrl: string | undefined;
  readonly metricsAddress: { host: string; port: number } | undefined;
  readonly registry: Registry;
}

/** How long Status waits for Docker's ping before it reports RuntimeReady=false. */
const statusPingTimeoutMs = 5_000;
/** How long start-up waits for the state cache's first sync before serving from Docker meanwhile. */
const firstSyncTimeoutMs = 30_000;

type CgroupDriver = "cgroupfs" | "systemd";

/** Builds the Docker client from the config. `start` opens sockets; nothing before it does. */
export function buildApp(config: Config, log: Logger): App {
  const registry = metricsRegistry();
  const docker = dockerClient(config, log, registry);
  const held = new Held();
  let streaming: StreamingServer | undefined;
  let metricsServer: MetricsServer | undefined;
  held.add("Docker client", () => docker.close());

  const start = async (): Promise<void> => {
    log.info({ version: programVersion, dockerEndpoint: config.dockerEndpoint, endpoint: config.endpointText, runtimeRequestTimeout: describeDuration(config.runtimeRequestTimeoutMs) }, "Starting docker-cri");
    if (config.containerRuntime === "remote") {
      metricsServer = await serveMetrics(config, registry, log, held);
      await serveRemoteProxy(config, registry, log, held);
      return;
    }
    const timeout = (): AbortSignal => AbortSignal.timeout(config.runtimeRequestTimeoutMs);
    // 1. The Docker client: negotiate the API version (refuses daemons older than 1.26) and read what
    // the engine can do (image store, version-dependent features); both are read again after dockerd
    // restarts (EngineState.refresh, from the state cache's reconnect).
    const engine = await EngineState.open(docker, log.child({ component: "docker" }), timeout());
    const info = engine.info;
    // 2. Docker's cgroup driver, which must match --cgroup-driver; the container manager.
    const cgroupDriver = checkCgroupDriver(config, engine, log);
    await startContainerManager(config, cgroupDriver, log, held);
    // 3. Hairpin mode and the network plugin.
    const network = await networkPlugin(config, registry, log);
    // 4. The checkpoint store.
    const checkpointDir = await openCheckpointDir(config.rootDirectory);
    log.debug({ checkpointDir }, "Checkpoint directory ready");
    // 5. The streaming server, so its address is fixed before the first Exec.
    streaming = await startStreaming(config, log, held);
    // 6. Metrics, then CRI itself: the socket appears only when everything behind it works.
    metricsServer = await serveMetrics(config, registry, log, held);

    // What every family reads: Docker's k8s containers kept from its events, and the host's limits.
    const cache = await startStateCache(config, docker, engine, log, held);
    const containers = new CachedContainersApi(docker.transport, docker.options, cache, containerTypeLabel, [sandboxIdLabel]);
    const hostLimits = await readHostLimits();
    // What the host allows of privileged mode and AppArmor, read once; a host whose capability
    // bounding set is not full gets privileged pods and containers (and "ALL") as the host's capabilities.
    const hostSecurity = await readHostSecurity(hostLimits, docker.containers, timeout());
    if (!hostSecurity.capabilities.full) {
      log.warn({ grantableCapabilities: hostSecurity.capabilities.bounding.length, unknownToDocker: hostSecurity.capabilities.unknownToDocker }, "This host limits capabilities (its bounding set is not full): privileged pods and containers and capability ALL get the host's capabilities instead of Docker's privileged mode");
    }
    const host: HostFacts = { cgroupDriver, info, hostLimits, hostSecurity };

    const runtimeInfo = runtimeInfoDeps(config, docker, engine, cache, network, cgroupDriver);
    const images = imageFamily(config, docker, engine, info, log, held);
    const sandbox = sandboxFamily(config, docker, containers, images.puller, network, new CheckpointStore(checkpointDir), host);
    await recoverSandboxes(sandbox, timeout(), log);
    const streamingDeps = streamingFamily(config, docker, containers, streaming, log);
    const containerLogs = containerLogManager(config, log, held);
    await resumeContainerLogs(containerLogs, docker, timeout(), log);
    const container = containerFamily(config, docker, engine, containers, containerLogs, host);
    const stats = await statsFamily(config, docker, cache, cgroupDriver, info, log, held);
    const events = eventsFamily(config, cache, container, sandbox, log, held);

    const server = await startGrpcServer({
      target: await listenTarget(config),
      services: [
        { service: RuntimeService, impl: runtimeServiceImpl({ info: runtimeInfo, sandbox, streaming: streamingDeps, container, stats, events }) },
        { service: ImageService, impl: imageServiceImpl(images.deps) },
      ],
      log,
      metrics: createRpcMetrics(registry),
    });
    // GetContainerEvents streams never end on their own: complete them first, so that the grace
    // period is not spent waiting for the kubelet to hang up.
    held.add("CRI server", async (graceMs) => {
      await events.stop();
      await server.stop(graceMs);
    });
  };

  return {
    async start() {
      try {
        await start();
      } catch (err) {
        await held.release(0, log).catch(() => undefined);
        throw err;
      }
    },
    stop: (graceMs) => held.release(graceMs, log),
    get streamingBaseUrl() {
      return streaming?.baseUrl;
    },
    get metricsAddress() {
      return metricsServer?.address;
    },
    registry,
  };
}

/** The host facts start-up reads once and the sandbox and container families share. */
interface HostFacts {
  readonly cgroupDriver: CgroupDriver;
  readonly info: DockerInfo;
  /** What the host lets containers' oom_score_adj go down to, and its capabilities. */
  readonly hostLimits: HostLimits;
  readonly hostSecurity: Awaited<ReturnType<typeof readHostSecurity>>;
}

function metricsRegistry(): Registry {
  const registry = new Registry();
  // The event-loop delay histogram samples with a timer every `eventLoopMonitoringPrecision` ms;
  // prom-client's 10 ms woke an idle docker-cri 100 times a second (about 2 % of a core doing
  // nothing). Once a second costs nothing and still samples the loop's delay (the scrape-time
  // nodejs_eventloop_lag_seconds gauge is measured at each scrape regardless).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1_000 });
  return registry;
}

/** The Docker client over an instrumented transport (docker_operations_* metrics). */
function dockerClient(config: Config, log: Logger, registry: Registry): DockerClient {
  const dockerLog = log.child({ component: "docker" });
  const transport = instrumentDockerTransport(new HttpTransport({ endpoint: config.dockerEndpoint, requestTimeoutMs: config.runtimeRequestTimeoutMs, log: dockerLog }), registry);
  return new DockerClient(transport, {
    endpoint: config.dockerEndpoint,
    requestTimeoutMs: config.runtimeRequestTimeoutMs,
    imagePullProgressDeadlineMs: config.imagePullProgressDeadlineMs,
    log: dockerLog,
  });
}

/**
 * --container-runtime=remote, as the kubelet had it with dockershim: no Docker at all; every CRI call
 * goes to --remote-runtime-endpoint unchanged, with our logging and metrics around it.
 */
async function serveRemoteProxy(config: Config, registry: Registry, log: Logger, held: Held): Promise<void> {
  const proxy = await startRemoteProxy({
    target: await listenTarget(config),
    remoteEndpoint: config.remoteRuntimeEndpoint,
    services: [RuntimeService, ImageService],
    log,
    metrics: createRpcMetrics(registry),
  });
  held.add("CRI proxy", (graceMs) => proxy.stop(graceMs));
}

/**
 * Docker's cgroup driver; the kubelet learns it through RuntimeConfig, so a mismatch with an explicit
 * --cgroup-driver is fatal here rather than a confusing kubelet failure later.
 */
function checkCgroupDriver(config: Config, engine: EngineState, log: Logger): CgroupDriver {
  const info = engine.info;
  const dockerDriver = info.cgroupDriver === "systemd" ? "systemd" : "cgroupfs";
  if (info.cgroupDriver !== "systemd" && info.cgroupDriver !== "cgroupfs") {
    log.warn({ cgroupDriver: info.cgroupDriver }, "Docker reports an unknown cgroup driver; treating it as cgroupfs");
  }
  if (config.cgroupDriver !== undefined && config.cgroupDriver !== dockerDriver) {
    throw new CriError("FailedPrecondition", `Cgroup driver mismatch: --cgroup-driver is "${config.cgroupDriver}" but Docker uses "${dockerDriver}"; make them the same (Docker: exec-opts native.cgroupdriver=${config.cgroupDriver} in daemon.json)`);
  }
  log.info({ cgroupDriver: dockerDriver, cgroupVersion: info.cgroupVersion, loggingDriver: info.loggingDriver, dockerRootDir: info.dockerRootDir, engine: engine.current }, "Docker daemon ready");
  if (info.loggingDriver !== "" && info.loggingDriver !== "json-file") {
    log.warn({ loggingDriver: info.loggingDriver }, 'Docker\'s log driver is not "json-file": the kubelet cannot read container logs');
  }
  return dockerDriver;
}

/**
 * The kubelet's container manager for the runtime (--runtime-cgroups): dockerd and containerd in that
 * cgroup with a memory limit and a low OOM score, re-checked every 5 minutes. Failures are logged,
 * never fatal.
 */
async function startContainerManager(config: Config, driver: CgroupDriver, log: Logger, held: Held): Promise<void> {
  if (config.runtimeCgroups === "") return;
  const manager = await startRuntimeCgroupManager({ cgroupName: config.runtimeCgroups, driver, log: log.child({ component: "runtime-cgroups" }) });
  if (manager === undefined) return;
  held.add("runtime cgroup manager", () => manager.stop());
}

/**
 * promiscuous-bridge only makes sense with kubenet's bridge; elsewhere the kubelet fell back to
 * hairpin-veth, and so do we.
 */
function effectiveHairpinMode(mode: HairpinMode, plugin: string, log: Logger): HairpinMode {
  if (mode === "promiscuous-bridge" && plugin !== "kubenet") {
    log.warn({ hairpinMode: mode, networkPlugin: plugin }, 'Hairpin mode "promiscuous-bridge" needs kubenet; using "hairpin-veth"');
    return "hairpin-veth";
  }
  return mode;
}

/** Probes the network plugin; pod network setup and teardown are counted and timed (network_plugin_operations_*). */
async function networkPlugin(config: Config, registry: Registry, log: Logger): Promise<NetworkPlugin> {
  const plugin = await probeNetworkPlugin(
    {
      pluginName: config.networkPlugin,
      confDir: config.cniConfDir,
      binDirs: config.cniBinDirs,
      cacheDir: config.cniCacheDir,
      mtu: config.networkPluginMtu,
      hairpinMode: effectiveHairpinMode(config.hairpinMode, config.networkPlugin, log),
      nonMasqueradeCidr: config.nonMasqueradeCidr,
      podCidr: config.podCidr,
      // Each plugin execution is bounded like a Docker request.
      execTimeoutMs: config.runtimeRequestTimeoutMs,
    },
    log.child({ component: "network" }),
  );
  return instrumentNetworkPlugin(plugin, registry);
}

async function startStreaming(config: Config, log: Logger, held: Held): Promise<StreamingServer> {
  const server = await startStreamingServer({
    host: config.streamingBindHost,
    port: config.streamingBindPort,
    idleTimeoutMs: config.streamingConnectionIdleTimeoutMs,
    log: log.child({ component: "streaming" }),
  });
  held.add("streaming server", () => server.close());
  return server;
}

async function serveMetrics(config: Config, registry: Registry, log: Logger, held: Held): Promise<MetricsServer | undefined> {
  if (config.metricsBind === undefined) return undefined;
  const server = await startMetricsServer(registry, config.metricsBind.host, config.metricsBind.port, log.child({ component: "metrics" }));
  held.add("metrics server", () => server.close());
  return server;
}

/**
 * The state cache (src/state-cache/): Docker's k8s containers kept in memory from /events, resynced
 * on start and on every reconnect. The sandbox and container families list and inspect through it,
 * the stats RPCs and GetContainerEvents read it. Start-up waits a bounded time for its first sync;
 * until then lists and statuses ask Docker.
 */
async function startStateCache(config: Config, docker: DockerClient, engine: EngineState, log: Logger, held: Held): Promise<StateCache> {
  const cacheLog = log.child({ component: "state-cache" });
  const cache = new StateCache({
    transport: docker.transport,
    containers: docker.containers,
    label: containerTypeLabel,
    log: cacheLog,
    inspectTimeoutMs: Math.min(config.runtimeRequestTimeoutMs, 5_000),
    // A reopened event stream means dockerd restarted, maybe as another version: negotiate again
    // before anything else is asked of it.
    beforeReconnect: async (signal) => {
      await engine.refresh(signal);
    },
  });
  held.add("state cache", () => cache.stop());
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([cache.start(), new Promise<void>((resolve) => { timer = setTimeout(resolve, firstSyncTimeoutMs); })]);
  clearTimeout(timer);
  if (!cache.synced) cacheLog.warn({ timeoutMs: firstSyncTimeoutMs }, "The container state cache is not synced yet; lists and statuses ask Docker until it is");
  return cache;
}

/** Version, Status, RuntimeConfig, UpdateRuntimeConfig. */
function runtimeInfoDeps(config: Config, docker: DockerClient, engine: EngineState, cache: StateCache, network: NetworkPlugin, cgroupDriver: CgroupDriver): RuntimeInfoDeps {
  return {
    // Version from the engine reading while the state cache (which re-reads the engine whenever
    // dockerd comes back) is synced; from Docker otherwise.
    docker: versionFromEngine(docker, () => engine.current, () => cache.synced),
    network,
    cgroupDriver,
    engine: () => engine.current,
    runtimeHandlers: engine.info.runtimes,
    statusTimeoutMs: Math.min(statusPingTimeoutMs, config.runtimeRequestTimeoutMs),
    configForStatus: { ...config, endpoint: config.endpointText },
  };
}

/**
 * The image service: Docker's images and /system/df kept in memory from its image events
 * (src/cri/image/image-cache.ts; it subscribes on the first image call), and the puller, which
 * merges concurrent pulls of one image.
 */
function imageFamily(config: Config, docker: DockerClient, engine: EngineState, info: DockerInfo, log: Logger, held: Held): { readonly deps: ImageServiceDeps; readonly puller: ImagePuller } {
  const cache = new ImageCache({ images: docker.images, openEvents: (signal) => openImageEvents(docker.transport, signal), log: log.child({ component: "image-cache" }) });
  held.add("image cache", () => cache.stop());
  const puller = new ImagePuller({
    images: docker.images,
    progressDeadlineMs: config.imagePullProgressDeadlineMs,
    // A running pull logs its progress this often, as dockershim did.
    progressLogIntervalMs: 10_000,
    afterPull: (image, signal) => cache.pulled(image, signal),
  });
  const deps: ImageServiceDeps = {
    images: docker.images,
    puller,
    sandboxImage: config.podInfraContainerImage,
    dockerRootDir: info.dockerRootDir,
    engine: () => engine.current,
    state: cache,
  };
  return { deps, puller };
}

/** RunPodSandbox and the other sandbox RPCs. */
function sandboxFamily(config: Config, docker: DockerClient, containers: CachedContainersApi, puller: ImagePuller, network: NetworkPlugin, checkpoints: CheckpointStore, host: HostFacts): SandboxDeps {
  return {
    containers,
    ensureImage: puller.ensureImage,
    network,
    checkpoints,
    names: new NameRegistrar(),
    locks: new KeyedMutex(),
    podInfraImage: config.podInfraContainerImage,
    cgroupDriver: host.cgroupDriver,
    hostLimits: host.hostLimits,
    capabilities: host.hostSecurity.capabilities,
    runtimes: { known: host.info.runtimes, refresh: async (signal) => (await docker.info(signal)).runtimes },
    cleanupTimeoutMs: config.runtimeRequestTimeoutMs,
    pauseAfterCreateMs: config.testHooks.pauseAfterSandboxCreateMs,
  };
}

/**
 * A crash between a sandbox's start and its network setup left it running without a network: it is
 * stopped before CRI is served, so that it reads NOTREADY and the kubelet replaces it.
 */
async function recoverSandboxes(sandbox: SandboxDeps, signal: AbortSignal, log: Logger): Promise<void> {
  await stopUnnetworkedSandboxes(sandbox, signal, log.child({ component: "sandbox-recovery" })).catch((err: unknown) => {
    log.warn({ err }, "Cannot check the sandboxes for network setups a restart interrupted");
  });
}

/**
 * Exec, Attach, PortForward: the streaming server gets the Docker side, the RPCs get its one-time
 * URLs. Exec and attach take only CRI app containers, port forward only pod sandboxes, both looked up
 * in the event-fed cache.
 */
function streamingFamily(config: Config, docker: DockerClient, containers: CachedContainersApi, server: StreamingServer, log: Logger): StreamingDeps {
  const lookupContainer = streamTargetLookup(containers, docker.containers, "container");
  const lookupSandbox = streamTargetLookup(containers, docker.containers, "podsandbox");
  const service = createStreamingService({
    baseUrl: server.baseUrl,
    runtime: dockerStreamingRuntime({ exec: docker.exec, lookupContainer, lookupSandbox, dockerTimeoutMs: config.runtimeRequestTimeoutMs }),
    log: log.child({ component: "streaming" }),
    // Test-only: the chaos tests expire tokens in seconds rather than waiting out the minute.
    ...(config.testHooks.streamingTokenTtlMs > 0 ? { cache: { ttlMs: config.testHooks.streamingTokenTtlMs } } : {}),
  });
  server.addRoute(service.route);
  return { urls: service.urls, lookupContainer, lookupSandbox };
}

/**
 * Each container's output goes from Docker's json-file log into the kubelet's log file
 * (src/container-logs/); the copy state lives under the root directory so that a restart resumes
 * every copy where it stopped. Closed after the last RPC: it saves every copy's offset.
 */
function containerLogManager(config: Config, log: Logger, held: Held): ContainerLogManagerHandle {
  const logs = createContainerLogManager({ stateDir: join(config.rootDirectory, "container-logs"), log: log.child({ component: "container-logs" }), mode: config.containerLogMode });
  held.add("container log copies", () => logs.close());
  return logs;
}

/** Resumes the log copy of every CRI app container Docker has, running or not. */
async function resumeContainerLogs(logs: ContainerLogManagerHandle, docker: DockerClient, signal: AbortSignal, log: Logger): Promise<void> {
  const appContainers = await docker.containers.list({ all: true, filters: { label: ["io.kubernetes.docker.type=container"] } }, signal);
  await logs.resumeAll(appContainers.map((c) => c.id)).catch((err: unknown) => {
    log.warn({ err }, "Cannot resume every container log copy");
  });
}

/** CreateContainer and the other container RPCs. */
function containerFamily(config: Config, docker: DockerClient, engine: EngineState, containers: CachedContainersApi, logs: ContainerLogManagerHandle, host: HostFacts): ContainerDeps {
  return {
    containers,
    exec: docker.exec,
    images: new ImageIdentities(docker.images, () => engine.current.imageStore),
    logs,
    flushedLogs: new Set(),
    locks: new KeyedMutex(),
    cgroupDriver: host.cgroupDriver,
    minOomScoreAdj: host.hostLimits.minOomScoreAdj,
    capabilities: host.hostSecurity.capabilities,
    apparmorEnabled: host.hostSecurity.apparmorEnabled,
    engine: () => engine.current,
    cdiDevices: async (signal) => (await docker.info(signal)).cdiDevices,
    hostDevices: () => listHostDevices(),
    killProcessTree: (pid, containerId) => killProcessTree(pid, containerId),
    cleanupTimeoutMs: config.runtimeRequestTimeoutMs,
  };
}

/** The stats RPCs: cgroup files read directly (src/cgroup-stats/), a CPU sampler, writable layer sizes. */
async function statsFamily(config: Config, docker: DockerClient, cache: StateCache, cgroupDriver: CgroupDriver, info: DockerInfo, log: Logger, held: Held): Promise<StatsDeps> {
  const collectors = await createStatsCollectors({
    cache,
    transport: docker.transport,
    cgroupDriver,
    dockerRootDir: info.dockerRootDir,
    log: log.child({ component: "stats" }),
    requestTimeoutMs: config.runtimeRequestTimeoutMs,
  });
  held.add("stats collectors", () => collectors.stop());
  collectors.start();
  return collectors.stats;
}

/**
 * GetContainerEvents: the cache's changes with the pod's statuses (pod IPs of plugin networks from
 * the checkpoint, as PodSandboxStatus reports them).
 */
function eventsFamily(config: Config, cache: StateCache, container: ContainerDeps, sandbox: SandboxDeps, log: Logger, held: Held): ContainerEventHub {
  const hub = new ContainerEventHub({
    cache,
    log: log.child({ component: "container-events" }),
    containerStatus: eventContainerStatus(container),
    podIps: async (pod) => (pod.hostConfig.networkMode === "none" ? (await sandbox.checkpoints.read(pod.id, log))?.podIps : undefined),
    buildTimeoutMs: config.runtimeRequestTimeoutMs,
  });
  held.add("container events", () => hub.stop());
  hub.start();
  return hub;
}

/** Where to serve CRI; the socket group is looked up first, so that a wrong one stops start-up before anything listens. */
async function listenTarget(config: Config): Promise<ListenTarget> {
  if (config.endpoint.kind === "fd") return { kind: "fd", fd: config.endpoint.fd };
  return config.socketGroup === "" ? { kind: "unix", path: config.endpoint.path } : { kind: "unix", path: config.endpoint.path, gid: await resolveGroupId(config.socketGroup) };
}
