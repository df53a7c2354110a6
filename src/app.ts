import { Registry, collectDefaultMetrics } from "prom-client";
import type { Config, HairpinMode } from "./config/index.js";
import { describeDuration, programVersion } from "./config/index.js";
import { ImagePuller, imageServiceImpl, runtimeServiceImpl, stopUnnetworkedSandboxes, type ImageServiceDeps, type SandboxDeps } from "./cri/index.js";
import { DockerClient, EngineState, UndiciTransport } from "./docker/index.js";
import { CriError } from "./errors/index.js";
import { ImageService, RuntimeService } from "./gen/index.js";
import type { Logger } from "./logger/index.js";
import { createRpcMetrics, instrumentDockerTransport, instrumentNetworkPlugin, startMetricsServer, type MetricsServer } from "./metrics/index.js";
import { probeNetworkPlugin, type NetworkPlugin } from "./network/index.js";
import { startGrpcServer, startRemoteProxy, type GrpcServer, type ListenTarget } from "./server/index.js";
import { resolveGroupId, startRuntimeCgroupManager, type RuntimeCgroupManager } from "./host/index.js";
import { CheckpointStore, NameRegistrar, openCheckpointDir } from "./store/index.js";
import { createStreamingService, startStreamingServer, type StreamingServer } from "./streaming-server/index.js";
import { dockerStreamingRuntime, type StreamingDeps } from "./cri/index.js";
import { ImageIdentities, streamTargetLookup, killProcessTree, listHostDevices, readHostSecurity, type ContainerDeps } from "./cri/index.js";
import { createContainerLogManager, type ContainerLogManagerHandle } from "./container-logs/index.js";
import { join } from "node:path";
import { readHostLimits } from "./host/host-limits.js";
import { KeyedMutex } from "./util/keyed-mutex.js";
import { ContainerEventHub, createStatsRuntime, eventContainerStatus, type StatsRuntime } from "./cri/index.js";
import { ImageCache, openImageEvents } from "./cri/image/index.js";
import { versionFromEngine } from "./cri/runtime/version.js";

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

/**
 * promiscuous-bridge only makes sense with kubenet's bridge; elsewhere the kubelet fell back to
 * hairpin-veth, and so do we (effectiveHairpinMode).
 */
function effectiveHairpinMode(mode: HairpinMode, plugin: string, log: Logger): HairpinMode {
  if (mode === "promiscuous-bridge" && plugin !== "kubenet") {
    log.warn({ hairpinMode: mode, networkPlugin: plugin }, 'Hairpin mode "promiscuous-bridge" needs kubenet; using "hairpin-veth"');
    return "hairpin-veth";
  }
  return mode;
}

/** Composition root: builds every dependency from the config. `start` opens sockets; nothing before it does. */
export function buildApp(config: Config, log: Logger): App {
  const registry = new Registry();
  // The event-loop delay histogram samples with a timer every `eventLoopMonitoringPrecision` ms;
  // prom-client's 10 ms woke an idle docker-cri 100 times a second (about 2 % of a core doing
  // nothing). Once a second costs nothing and still samples the loop's delay (the scrape-time
  // nodejs_eventloop_lag_seconds gauge is measured at each scrape regardless).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1_000 });
  const transport = instrumentDockerTransport(
    new UndiciTransport({ endpoint: config.dockerEndpoint, requestTimeoutMs: config.runtimeRequestTimeoutMs, log: log.child({ component: "docker" }) }),
    registry,
  );
  const docker = new DockerClient(transport, {
    endpoint: config.dockerEndpoint,
    requestTimeoutMs: config.runtimeRequestTimeoutMs,
    imagePullProgressDeadlineMs: config.imagePullProgressDeadlineMs,
    log: log.child({ component: "docker" }),
  });
  let streaming: StreamingServer | undefined;
  let metricsServer: MetricsServer | undefined;
  let grpc: GrpcServer | undefined;
  let runtimeCgroups: RuntimeCgroupManager | undefined;
  let containerLogs: ContainerLogManagerHandle | undefined;
  let statsRuntime: StatsRuntime | undefined;
  let eventHub: ContainerEventHub | undefined;
  let imageCache: ImageCache | undefined;

  const release = async (graceMs: number): Promise<void> => {
    // GetContainerEvents streams never end on their own: complete them so that the grace period
    // is not spent waiting for the kubelet to hang up.
    await eventHub?.stop();
    await grpc?.stop(graceMs);
    await imageCache?.stop();
    await statsRuntime?.stop();
    // After the last RPC: saves every log copy's offset, so that the next start resumes exactly there.
    await containerLogs?.close();
    await runtimeCgroups?.stop();
    await streaming?.close();
    await metricsServer?.close();
    await docker.close();
  };

  const start = async (): Promise<void> => {
    log.info({ version: programVersion, dockerEndpoint: config.dockerEndpoint, endpoint: config.endpointText, runtimeRequestTimeout: describeDuration(config.runtimeRequestTimeoutMs) }, "Starting docker-cri");
    if (config.containerRuntime === "remote") {
      // The seed design's remote mode: no Docker at all; every CRI call goes to
      // --remote-runtime-endpoint unchanged, with our logging and metrics around it.
      if (config.metricsBind !== undefined) {
        metricsServer = await startMetricsServer(registry, config.metricsBind.host, config.metricsBind.port, log.child({ component: "metrics" }));
      }
      grpc = await startRemoteProxy({
        target: await listenTarget(config),
        remoteEndpoint: config.remoteRuntimeEndpoint,
        services: [RuntimeService, ImageService],
        log,
        metrics: createRpcMetrics(registry),
      });
      return;
    }

    // 1. The Docker client: negotiate the API version (refuses daemons older than 1.26) and read what
    // the engine can do (image store, version-dependent features); both are read again after dockerd
    // restarts (EngineState.refresh, from the state cache's reconnect).
    const engine = await EngineState.open(docker, log.child({ component: "docker" }), AbortSignal.timeout(config.runtimeRequestTimeoutMs));

    // 2. Docker's cgroup driver; the kubelet learns it through RuntimeConfig, so a mismatch with an
    // explicit --cgroup-driver is fatal here rather than a confusing kubelet failure later.
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
    // The container manager of the seed design: dockerd and containerd in --runtime-cgroups with a
    // memory limit and a low OOM score, re-checked every 5 minutes. Failures are logged, never fatal.
    if (config.runtimeCgroups !== "") {
      runtimeCgroups = await startRuntimeCgroupManager({ cgroupName: config.runtimeCgroups, driver: dockerDriver, log: log.child({ component: "runtime-cgroups" }) });
    }

    // 3. Hairpin mode and the network plugin.
    const hairpinMode = effectiveHairpinMode(config.hairpinMode, config.networkPlugin, log);
    // Pod network setup and teardown are counted and timed (network_plugin_operations_*).
    const network: NetworkPlugin = instrumentNetworkPlugin(
      await probeNetworkPlugin(
        {
          pluginName: config.networkPlugin,
          confDir: config.cniConfDir,
          binDirs: config.cniBinDirs,
          cacheDir: config.cniCacheDir,
          mtu: config.networkPluginMtu,
          hairpinMode,
          nonMasqueradeCidr: config.nonMasqueradeCidr,
          podCidr: config.podCidr,
          // Each plugin execution is bounded like a Docker request.
          execTimeoutMs: config.runtimeRequestTimeoutMs,
        },
        log.child({ component: "network" }),
      ),
      registry,
    );

    // 4. The checkpoint store.
    const checkpointDir = await openCheckpointDir(config.rootDirectory);
    log.debug({ checkpointDir }, "Checkpoint directory ready");

    // 5. The streaming server, so its address is fixed before the first Exec.
    streaming = await startStreamingServer({
      host: config.streamingBindHost,
      port: config.streamingBindPort,
      idleTimeoutMs: config.streamingConnectionIdleTimeoutMs,
      log: log.child({ component: "streaming" }),
    });

    // 6. Metrics, then CRI itself: the socket appears only when everything behind it works.
    if (config.metricsBind !== undefined) {
      metricsServer = await startMetricsServer(registry, config.metricsBind.host, config.metricsBind.port, log.child({ component: "metrics" }));
    }
    const infoDeps = {
      // Version from the engine reading while the state cache (which re-reads the engine whenever
      // dockerd comes back) is synced; from Docker otherwise.
      docker: versionFromEngine(docker, () => engine.current, () => statsRuntime?.cache.synced === true),
      network,
      cgroupDriver: dockerDriver,
      engine: () => engine.current,
      runtimeHandlers: info.runtimes,
      statusTimeoutMs: Math.min(statusPingTimeoutMs, config.runtimeRequestTimeoutMs),
      configForStatus: { ...config, endpoint: config.endpointText },
    } as const;
    // Wiring of each RPC family; each block is owned by the code of that family.
    // --- image deps ---
    // Docker's images and /system/df kept in memory from its image events (src/cri/image/image-cache.ts);
    // it subscribes on the first image call.
    const images = new ImageCache({ images: docker.images, openEvents: (signal) => openImageEvents(docker.transport, signal), log: log.child({ component: "image-cache" }) });
    imageCache = images;
    const imagePuller = new ImagePuller({
      images: docker.images,
      progressDeadlineMs: config.imagePullProgressDeadlineMs,
      // A running pull logs its progress this often, as dockershim did.
      progressLogIntervalMs: 10_000,
      afterPull: (image, signal) => images.pulled(image, signal),
    });
    const imageDeps: ImageServiceDeps = {
      images: docker.images,
      puller: imagePuller,
      sandboxImage: config.podInfraContainerImage,
      dockerRootDir: info.dockerRootDir,
      engine: () => engine.current,
      state: images,
    };
    // --- state cache deps ---
    // Docker's k8s containers kept in memory from /events (resync on start and on reconnect): the
    // sandbox and container families get a ContainersApi whose list and inspect come from it, the
    // stats RPCs read cgroups directly. See src/state and src/cri/stats.
    statsRuntime = await createStatsRuntime({
      transport: docker.transport,
      dockerOptions: docker.options,
      containers: docker.containers,
      cgroupDriver: dockerDriver,
      dockerRootDir: info.dockerRootDir,
      log: log.child({ component: "stats" }),
      requestTimeoutMs: config.runtimeRequestTimeoutMs,
      // A reopened event stream means dockerd restarted, maybe as another version: negotiate again
      // before anything else is asked of it.
      beforeReconnect: async (signal) => {
        await engine.refresh(signal);
      },
    });
    await statsRuntime.start();
    const cachedContainers = statsRuntime.containers;
    // What the host allows of privileged mode and AppArmor, read once; a host whose capability
    // bounding set is not full gets privileged pods and containers (and "ALL") as the host's capabilities.
    const hostSecurity = await readHostSecurity(await readHostLimits(), docker.containers, AbortSignal.timeout(config.runtimeRequestTimeoutMs));
    if (!hostSecurity.capabilities.full) {
      log.warn({ grantableCapabilities: hostSecurity.capabilities.bounding.length, unknownToDocker: hostSecurity.capabilities.unknownToDocker }, "This host limits capabilities (its bounding set is not full): privileged pods and containers and capability ALL get the host's capabilities instead of Docker's privileged mode");
    }
    // --- sandbox deps ---
    const sandboxDeps: SandboxDeps = {
      containers: cachedContainers,
      ensureImage: imagePuller.ensureImage,
      network,
      checkpoints: new CheckpointStore(checkpointDir),
      names: new NameRegistrar(),
      locks: new KeyedMutex(),
      podInfraImage: config.podInfraContainerImage,
      cgroupDriver: dockerDriver,
      // Read once: what the host lets containers' oom_score_adj go down to.
      hostLimits: await readHostLimits(),
      capabilities: hostSecurity.capabilities,
      runtimes: { known: info.runtimes, refresh: async (signal) => (await docker.info(signal)).runtimes },
      cleanupTimeoutMs: config.runtimeRequestTimeoutMs,
      pauseAfterCreateMs: config.testHooks.pauseAfterSandboxCreateMs,
    };
    // A crash between a sandbox's start and its network setup left it running without a network: it is
    // stopped before CRI is served, so that it reads NOTREADY and the kubelet replaces it.
    await stopUnnetworkedSandboxes(sandboxDeps, AbortSignal.timeout(config.runtimeRequestTimeoutMs), log.child({ component: "sandbox-recovery" })).catch((err: unknown) => {
      log.warn({ err }, "Cannot check the sandboxes for network setups a restart interrupted");
    });
    // --- streaming deps ---
    // Exec/attach/port-forward: the streaming server gets the Docker side, the RPCs get its one-time
    // URLs. Exec and attach take only CRI app containers, port forward only pod sandboxes, both looked
    // up in the event-fed cache.
    const lookupContainer = streamTargetLookup(cachedContainers, docker.containers, "container");
    const lookupSandbox = streamTargetLookup(cachedContainers, docker.containers, "podsandbox");
    const streamingService = createStreamingService({
      baseUrl: streaming.baseUrl,
      runtime: dockerStreamingRuntime({ exec: docker.exec, lookupContainer, lookupSandbox, dockerTimeoutMs: config.runtimeRequestTimeoutMs }),
      log: log.child({ component: "streaming" }),
      // Test-only: the chaos tests expire tokens in seconds rather than waiting out the minute.
      ...(config.testHooks.streamingTokenTtlMs > 0 ? { cache: { ttlMs: config.testHooks.streamingTokenTtlMs } } : {}),
    });
    streaming.addRoute(streamingService.route);
    const streamingDeps: StreamingDeps = { urls: streamingService.urls, lookupContainer, lookupSandbox };
    // --- container deps ---
    // Each container's output goes from Docker's json-file log into the kubelet's log file; the copy
    // state lives under the root directory so that a restart resumes every copy where it stopped.
    containerLogs = createContainerLogManager({ stateDir: join(config.rootDirectory, "container-logs"), log: log.child({ component: "container-logs" }), mode: config.containerLogMode });
    const appContainers = await docker.containers.list({ all: true, filters: { label: ["io.kubernetes.docker.type=container"] } }, AbortSignal.timeout(config.runtimeRequestTimeoutMs));
    await containerLogs.resumeAll(appContainers.map((c) => c.id)).catch((err: unknown) => {
      log.warn({ err }, "Cannot resume every container log copy");
    });
    const containerDeps: ContainerDeps = {
      containers: cachedContainers,
      exec: docker.exec,
      images: new ImageIdentities(docker.images, () => engine.current.imageStore),
      logs: containerLogs,
      flushedLogs: new Set(),
      locks: new KeyedMutex(),
      cgroupDriver: dockerDriver,
      minOomScoreAdj: sandboxDeps.hostLimits.minOomScoreAdj,
      capabilities: hostSecurity.capabilities,
      apparmorEnabled: hostSecurity.apparmorEnabled,
      engine: () => engine.current,
      cdiDevices: async (signal) => (await docker.info(signal)).cdiDevices,
      hostDevices: () => listHostDevices(),
      killProcessTree: (pid, containerId) => killProcessTree(pid, containerId),
      cleanupTimeoutMs: config.runtimeRequestTimeoutMs,
    };
    // --- stats deps ---
    // GetContainerEvents: the cache's changes with the pod's statuses (pod IPs of plugin networks
    // from the checkpoint, as PodSandboxStatus reports them).
    eventHub = new ContainerEventHub({
      cache: statsRuntime.cache,
      log: log.child({ component: "container-events" }),
      containerStatus: eventContainerStatus(containerDeps),
      podIps: async (sandbox) => (sandbox.hostConfig.networkMode === "none" ? (await sandboxDeps.checkpoints.read(sandbox.id, log))?.podIps : undefined),
      buildTimeoutMs: config.runtimeRequestTimeoutMs,
    });
    eventHub.start();
    grpc = await startGrpcServer({
      target: await listenTarget(config),
      services: [
        { service: RuntimeService, impl: runtimeServiceImpl({ info: infoDeps, sandbox: sandboxDeps, streaming: streamingDeps, container: containerDeps, stats: statsRuntime.stats, events: eventHub }) },
        { service: ImageService, impl: imageServiceImpl(imageDeps) },
      ],
      log,
      metrics: createRpcMetrics(registry),
    });
  };

  return {
    async start() {
      try {
        await start();
      } catch (err) {
        await release(0).catch(() => undefined);
        throw err;
      }
    },
    stop: release,
    get streamingBaseUrl() {
      return streaming?.baseUrl;
    },
    get metricsAddress() {
      return metricsServer?.address;
    },
    registry,
  };
}

/** Where to serve CRI; the socket group is looked up first, so that a wrong one stops start-up before anything listens. */
async function listenTarget(config: Config): Promise<ListenTarget> {
  if (config.endpoint.kind === "fd") return { kind: "fd", fd: config.endpoint.fd };
  return config.socketGroup === "" ? { kind: "unix", path: config.endpoint.path } : { kind: "unix", path: config.endpoint.path, gid: await resolveGroupId(config.socketGroup) };
}
