import { Registry, collectDefaultMetrics } from "prom-client";
import type { Config, HairpinMode } from "./config/index.js";
import { describeDuration, programVersion } from "./config/index.js";
import { imageServiceImpl, runtimeServiceImpl } from "./cri/index.js";
import { DockerClient, UndiciTransport } from "./docker/index.js";
import { CriError } from "./errors/index.js";
import { ImageService, RuntimeService } from "./gen/index.js";
import type { Logger } from "./log/index.js";
import { createRpcMetrics, instrumentDockerTransport, startMetricsServer, type MetricsServer } from "./metrics/index.js";
import { probeNetworkPlugin, type NetworkPlugin } from "./network/index.js";
import { startGrpcServer, type GrpcServer } from "./server/index.js";
import { openCheckpointDir } from "./store/index.js";
import { startStreamingServer, type StreamingServer } from "./streaming/index.js";

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
  collectDefaultMetrics({ register: registry });
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

  const release = async (graceMs: number): Promise<void> => {
    await grpc?.stop(graceMs);
    await streaming?.close();
    await metricsServer?.close();
    await docker.close();
  };

  const start = async (): Promise<void> => {
    log.info({ version: programVersion, dockerEndpoint: config.dockerEndpoint, endpoint: config.endpointText, runtimeRequestTimeout: describeDuration(config.runtimeRequestTimeoutMs) }, "Starting docker-cri");
    if (config.containerRuntime === "remote") {
      throw new CriError("Unimplemented", "--container-runtime=remote is not supported yet");
    }

    // 1. The Docker client: negotiate the API version (refuses daemons older than 1.26).
    await docker.negotiate(AbortSignal.timeout(config.runtimeRequestTimeoutMs));

    // 2. Docker's cgroup driver; the kubelet learns it through RuntimeConfig, so a mismatch with an
    // explicit --cgroup-driver is fatal here rather than a confusing kubelet failure later.
    const info = await docker.info(AbortSignal.timeout(config.runtimeRequestTimeoutMs));
    const dockerDriver = info.cgroupDriver === "systemd" ? "systemd" : "cgroupfs";
    if (info.cgroupDriver !== "systemd" && info.cgroupDriver !== "cgroupfs") {
      log.warn({ cgroupDriver: info.cgroupDriver }, "Docker reports an unknown cgroup driver; treating it as cgroupfs");
    }
    if (config.cgroupDriver !== undefined && config.cgroupDriver !== dockerDriver) {
      throw new CriError("FailedPrecondition", `Cgroup driver mismatch: --cgroup-driver is "${config.cgroupDriver}" but Docker uses "${dockerDriver}"; make them the same (Docker: exec-opts native.cgroupdriver=${config.cgroupDriver} in daemon.json)`);
    }
    log.info({ cgroupDriver: dockerDriver, cgroupVersion: info.cgroupVersion, loggingDriver: info.loggingDriver, dockerRootDir: info.dockerRootDir }, "Docker daemon ready");
    if (info.loggingDriver !== "" && info.loggingDriver !== "json-file") {
      log.warn({ loggingDriver: info.loggingDriver }, 'Docker\'s log driver is not "json-file": the kubelet cannot read container logs');
    }

    // 3. Hairpin mode and the network plugin.
    const hairpinMode = effectiveHairpinMode(config.hairpinMode, config.networkPlugin, log);
    const network: NetworkPlugin = await probeNetworkPlugin(
      {
        pluginName: config.networkPlugin,
        confDir: config.cniConfDir,
        binDirs: config.cniBinDirs,
        cacheDir: config.cniCacheDir,
        mtu: config.networkPluginMtu,
        hairpinMode,
        nonMasqueradeCidr: config.nonMasqueradeCidr,
        podCidr: config.podCidr,
      },
      log.child({ component: "network" }),
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
      docker,
      network,
      cgroupDriver: dockerDriver,
      runtimeHandlers: info.runtimes,
      statusTimeoutMs: Math.min(statusPingTimeoutMs, config.runtimeRequestTimeoutMs),
      configForStatus: { ...config, endpoint: config.endpointText },
    } as const;
    // Wiring of each RPC family; each block is owned by the code of that family.
    // --- image deps ---
    const imageDeps = {};
    // --- sandbox deps ---
    const sandboxDeps = {};
    // --- streaming deps ---
    const streamingDeps = {};
    grpc = await startGrpcServer({
      target: config.endpoint.kind === "unix" ? { kind: "unix", path: config.endpoint.path } : { kind: "fd", fd: config.endpoint.fd },
      services: [
        { service: RuntimeService, impl: runtimeServiceImpl({ info: infoDeps, sandbox: sandboxDeps, streaming: streamingDeps }) },
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
