import type { MessageInitShape } from "@bufbuild/protobuf";
import { setTimeout as sleep } from "node:timers/promises";
import { CriError, hasKind, withContext } from "../../errors/index.js";
import { NamespaceMode, type RunPodSandboxRequest, type RunPodSandboxResponseSchema } from "../../gen/index.js";
import type { Logger } from "../../logger/index.js";
import type { SandboxCheckpoint } from "../../store/index.js";
import { raceAbort } from "../../util/race-abort.js";
import { UndoStack } from "../../util/undo-stack.js";
import type { RpcContext } from "../context.js";
import { dockerTimeToNanos, makeSandboxName, protocolName } from "../translate/index.js";
import { createSandboxContainer } from "./create-sandbox-container.js";
import { resolveRuntimeHandler } from "./resolve-runtime-handler.js";
import { rewriteResolvConf } from "./resolv-conf.js";
import { sandboxDockerConfig } from "./sandbox-docker-config.js";
import type { SandboxDeps } from "./sandbox-deps.js";
import { validateSandboxRequest, type ValidSandboxRequest } from "./validate-sandbox-config.js";

/**
 * RunPodSandbox: pull the pause image if missing, create its container under the pod's name,
 * checkpoint, start, point its resolv.conf at the pod's DNS, set up the pod network.
 *
 * Concurrency and retries: calls for one pod name are serialized. Once a call holds the pod's lock
 * its work runs to completion even if the caller goes away (each Docker call still has its own
 * timeout): the kubelet retries a timed-out RunPodSandbox with the same metadata, and that retry
 * then gets the first call's sandbox instead of a name conflict or a second pause container. A
 * retry waiting for the lock gives up at its own deadline.
 *
 * Failure: every acquired resource is on an undo stack that unwinds in reverse under its own
 * deadline, so a failed call leaves no container, checkpoint or network behind.
 */
export async function runPodSandbox(deps: SandboxDeps, request: RunPodSandboxRequest, ctx: RpcContext): Promise<MessageInitShape<typeof RunPodSandboxResponseSchema>> {
  const req = validateSandboxRequest(request);
  const name = makeSandboxName(req.metadata);
  const log = ctx.log.child({ pod: `${req.metadata.namespace}/${req.metadata.name}`, attempt: req.metadata.attempt });
  const unlock = await deps.locks.lock(`sandbox-name:${name}`, ctx.signal);
  const work = (async () => {
    try {
      return await runLocked(deps, req, name, log);
    } finally {
      unlock();
    }
  })();
  try {
    return { podSandboxId: await raceAbort(work, ctx.signal) };
  } catch (err) {
    if (ctx.signal.aborted) {
      work.then(
        (id) => { log.info({ podSandboxId: id }, "Pod sandbox finished after the caller gave up; a retry gets it"); },
        (e: unknown) => { log.warn({ err: e }, "Pod sandbox failed after the caller gave up"); },
      );
    }
    throw err;
  }
}

async function runLocked(deps: SandboxDeps, req: ValidSandboxRequest, name: string, log: Logger): Promise<string> {
  // Deliberately not the caller's signal: see runPodSandbox. Docker calls keep their own timeouts.
  const signal = new AbortController().signal;

  // A retry, or a concurrent call that waited for the lock: this process already made the sandbox.
  const known = deps.names.keyOf(name);
  if (known !== undefined) {
    const existing = await deps.containers.inspect(known, signal, { fresh: true }).catch((err: unknown) => {
      if (hasKind(err, "NotFound")) return undefined;
      throw err;
    });
    if (existing?.state.running === true) {
      log.info({ podSandboxId: existing.id }, "Returning the running sandbox an earlier call created");
      return existing.id;
    }
    deps.names.release(name);
  }

  const { config } = req;
  const hostNetwork = config.linux?.securityContext?.namespaceOptions?.network === NamespaceMode.NODE;
  try {
    const dockerRuntime = await resolveRuntimeHandler(deps.runtimes, req.runtimeHandler, signal);
    const body = await sandboxDockerConfig({
      config,
      image: deps.podInfraImage,
      runtimeHandler: req.runtimeHandler,
      dockerRuntime,
      podNetworkMode: deps.network.sandboxNetworkMode,
      cgroupDriver: deps.cgroupDriver,
      minOomScoreAdj: deps.hostLimits.minOomScoreAdj,
      capabilities: deps.capabilities,
    });
    // After the config is known to translate, so that a request refused for its content pulls nothing.
    await deps.ensureImage(deps.podInfraImage, signal, log);
    const checkpoint: Omit<SandboxCheckpoint, "legacy"> = {
      name: req.metadata.name,
      namespace: req.metadata.namespace,
      uid: req.metadata.uid,
      attempt: req.metadata.attempt,
      hostNetwork,
      portMappings: config.portMappings.map((p) => ({ protocol: protocolName(p.protocol), containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIp })),
      labels: { ...config.labels },
      createdAt: BigInt(Date.now()) * 1_000_000n,
      networkPlugin: deps.network.name,
      podIps: [],
      runtimeHandler: req.runtimeHandler,
    };
    return await createAndStart(deps, req, name, body, checkpoint, hostNetwork, signal, log);
  } catch (err) {
    throw withContext(err, `Cannot run pod sandbox "${req.metadata.namespace}/${req.metadata.name}" (attempt ${req.metadata.attempt})`);
  }
}

async function createAndStart(
  deps: SandboxDeps,
  req: ValidSandboxRequest,
  name: string,
  body: Record<string, unknown>,
  checkpoint: Omit<SandboxCheckpoint, "legacy">,
  hostNetwork: boolean,
  signal: AbortSignal,
  log: Logger,
): Promise<string> {
  const undo = new UndoStack();
  try {
    const created = await createSandboxContainer(deps, name, body, signal, log);
    const id = created.id;
    if (created.kind === "existing") {
      // Adopted after a restart: make sure teardown will still find what it needs.
      if ((await deps.checkpoints.read(id, log)) === undefined) {
        await deps.checkpoints.write(id, { ...checkpoint, createdAt: dockerTimeToNanos(created.container.created) });
      }
      deps.names.reserve(name, id);
      return id;
    }
    undo.push(`sandbox container "${id}"`, async (s) => {
      await deps.containers.remove(id, { force: true, removeVolumes: true }, s).catch((err: unknown) => {
        if (!hasKind(err, "NotFound")) throw err;
      });
    });
    // Before start: whatever happens next, teardown can find the port mappings and network plugin.
    await deps.checkpoints.write(id, checkpoint);
    undo.push(`checkpoint of sandbox "${id}"`, () => deps.checkpoints.remove(id));
    log.debug({ podSandboxId: id, dockerName: created.dockerName }, "Sandbox container created");

    if (deps.pauseAfterCreateMs > 0) {
      log.warn({ podSandboxId: id, pauseMs: deps.pauseAfterCreateMs }, "Test hook: pausing between creating and starting the sandbox container");
      await sleep(deps.pauseAfterCreateMs);
    }

    await deps.containers.start(id, signal);
    const started = await deps.containers.inspect(id, signal);
    if (!started.state.running) {
      throw new CriError("Internal", `Sandbox container "${id}" is ${started.state.status} right after start${started.state.error === "" ? "" : `: ${started.state.error}`}`);
    }
    const dns = req.config.dnsConfig;
    if (dns !== undefined && (await rewriteResolvConf(started.resolvConfPath, dns))) {
      log.debug({ podSandboxId: id, path: started.resolvConfPath }, "Rewrote the sandbox's resolv.conf");
    }

    if (!hostNetwork) {
      const ref = {
        namespace: req.metadata.namespace,
        name: req.metadata.name,
        sandboxId: id,
        netnsPath: `/proc/${started.state.pid}/ns/net`,
        portMappings: checkpoint.portMappings,
        uid: req.metadata.uid,
      };
      // Pushed before the call: a plugin that fails half-way may still have left something to undo.
      undo.push(`pod network of sandbox "${id}"`, (s) => deps.network.tearDownPod(ref, s));
      const result = await deps.network.setUpPod({ ...ref, annotations: req.config.annotations, dns }, signal);
      if (result.ips.length > 0) await deps.checkpoints.write(id, { ...checkpoint, podIps: result.ips });
    }
    deps.names.reserve(name, id);
    undo.commit();
    log.info({ podSandboxId: id }, "Pod sandbox is running");
    return id;
  } catch (err) {
    if (undo.size > 0) {
      const failed = await undo.unwind(log, deps.cleanupTimeoutMs);
      log.warn({ err, rollbackFailures: failed }, "Pod sandbox creation failed; rolled back");
    }
    throw err;
  }
}
