import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import type { Config } from "../config/index.js";
import { FEATURE_API_VERSIONS, FEATURE_DOCKER_RELEASES, MIN_API_VERSION, OUR_MAX_API_VERSION, compareApiVersions, engineFeatures, parseEndpoint, type DockerClient, type DockerInfo, type EngineFeatures, type NegotiatedVersion } from "../docker/index.js";
import { errorMessage, hasKind } from "../errors/index.js";
import type { CgroupLayout } from "../host/index.js";
import { fail, ok, warn, type CheckResult } from "./doctor-check.js";
import { groupName } from "./group-name.js";

/** Why a unix socket cannot be used, in plain words; undefined when it looks usable. */
async function explainSocket(path: string): Promise<{ summary: string; hint: string } | undefined> {
  let st;
  try {
    st = await stat(path);
  } catch {
    return { summary: `nothing at "${path}": dockerd is not running, or listens elsewhere`, hint: "Start it (systemctl start docker), or point --docker-endpoint at its socket" };
  }
  if (!st.isSocket()) return { summary: `"${path}" exists but is not a socket`, hint: "Point --docker-endpoint at dockerd's socket (dockerd -H)" };
  try {
    await access(path, constants.R_OK | constants.W_OK);
  } catch {
    const group = (await groupName(st.gid)) ?? String(st.gid);
    return { summary: `permission denied on "${path}" (owner uid ${st.uid}, group "${group}", mode ${(st.mode & 0o777).toString(8)})`, hint: `Run docker-cri as root, or as a member of group "${group}"` };
  }
  return undefined;
}

/** Docker reachable and new enough. Returns the daemon's info for the checks that follow, when it answered. */
export async function checkDocker(docker: DockerClient, config: Config, timeoutMs: number): Promise<{ results: CheckResult[]; info: DockerInfo | undefined; version?: NegotiatedVersion }> {
  const endpoint = parseEndpoint(config.dockerEndpoint);
  let version;
  try {
    version = await docker.negotiate(AbortSignal.timeout(timeoutMs));
  } catch (err) {
    if (hasKind(err, "FailedPrecondition")) {
      // Either end can be out of range: an engine older than MIN_API_VERSION, or one whose own minimum is above ours.
      return {
        results: [fail("Docker", errorMessage(err), `docker-cri speaks Docker API ${MIN_API_VERSION} (Docker 1.13.1) to ${OUR_MAX_API_VERSION}: upgrade an older Docker Engine; for a newer one that refuses ${OUR_MAX_API_VERSION}, start dockerd with DOCKER_MIN_API_VERSION=${OUR_MAX_API_VERSION} or upgrade docker-cri`)],
        info: undefined,
      };
    }
    const socket = endpoint.kind === "unix" ? await explainSocket(endpoint.socketPath) : undefined;
    if (socket !== undefined) return { results: [fail("Docker", `cannot reach dockerd at ${endpoint.url}: ${socket.summary}`, socket.hint)], info: undefined };
    return { results: [fail("Docker", `cannot reach dockerd at ${endpoint.url}: ${errorMessage(err)}`, "Check that dockerd runs and listens there (docker -H <endpoint> version)")], info: undefined };
  }
  const results = [ok("Docker", `Docker ${version.version} answers at ${endpoint.url}, API ${version.daemonApiVersion} (docker-cri needs ${MIN_API_VERSION} or newer and uses ${version.apiVersion})`)];
  let info: DockerInfo;
  try {
    info = await docker.info(AbortSignal.timeout(timeoutMs));
  } catch (err) {
    results.push(fail("Docker info", `dockerd answers /version but not /info: ${errorMessage(err)}`));
    return { results, info: undefined };
  }
  return { results, info, version };
}

/** Which image store the engine uses, and what that changes for the kubelet. */
export function checkImageStore(features: EngineFeatures): CheckResult {
  if (features.imageStore === "containerd") {
    return ok("Image store", `containerd image store (snapshotter "${features.storageDriver}"): image ids are manifest or index digests, and images live in containerd's content store and snapshots`);
  }
  return ok("Image store", `classic (graph driver "${features.storageDriver}"): image ids are config digests`);
}

/** The version-dependent CRI features, each with why it is or is not there. */
export function checkEngineFeatures(features: EngineFeatures): CheckResult[] {
  const api = features.apiVersion;
  const needs = (v: string, release: string): string => `needs Docker API ${v} (Docker ${release}); docker-cri speaks ${api} with this engine`;
  const rows: [string, boolean, string][] = [
    ["Read-only mounts", true, features.bindReadOnlyOptions ? "non-recursive as asked (BindOptions.ReadOnlyNonRecursive)" : "non-recursive (Docker's read-only binds before API 1.44 are never recursive)"],
    [
      "Recursive read-only",
      features.recursiveReadOnly,
      features.recursiveReadOnly
        ? `available (BindOptions.ReadOnlyForceRecursive on kernel ${features.kernelVersion}), advertised in Status`
        : features.bindReadOnlyOptions
          ? `not available: needs Linux 5.12 or newer (mount_setattr), the kernel is ${features.kernelVersion || "unknown"}`
          : `not available: ${needs(FEATURE_API_VERSIONS.bindReadOnlyOptions, FEATURE_DOCKER_RELEASES.bindReadOnlyOptions)}`,
    ],
    [
      "Image volumes",
      features.imageVolumes,
      features.imageVolumes
        ? `available (mount type "image"${features.imageVolumeSubpath ? ", with sub paths" : `, without sub paths: they ${needs(FEATURE_API_VERSIONS.imageVolumeSubpath, FEATURE_DOCKER_RELEASES.imageVolumeSubpath)}`})`
        : `not available: ${needs(FEATURE_API_VERSIONS.imageVolumes, FEATURE_DOCKER_RELEASES.imageVolumes)}`,
    ],
    [
      "CDI devices",
      features.cdi,
      features.cdi
        ? `available (spec directories ${features.cdiSpecDirs.join(", ")})`
        : compareApiVersions(api, FEATURE_API_VERSIONS.cdi) >= 0
          ? "not available: the engine reports no CDI spec directories (CDI is off; Docker 28.2 turns it on by default, earlier releases need \"features\": {\"cdi\": true})"
          : `not available: ${needs(FEATURE_API_VERSIONS.cdi, FEATURE_DOCKER_RELEASES.cdi)}`,
    ],
  ];
  return rows.map(([name, available, text]) => (available || name === "Read-only mounts" ? ok(name, text) : warn(name, text)));
}

/** Both of the above from what checkDocker read. */
export function checkEngine(version: NegotiatedVersion, info: DockerInfo): CheckResult[] {
  const features = engineFeatures(version, info);
  return [checkImageStore(features), ...checkEngineFeatures(features)];
}

/** Docker's cgroup driver and version against --cgroup-driver and the host's mounts. */
export function checkCgroups(info: DockerInfo, config: Config, layout: CgroupLayout | Error): CheckResult {
  const driver = info.cgroupDriver === "systemd" ? "systemd" : "cgroupfs";
  const dockerVersion = info.cgroupVersion === "" ? "1" : info.cgroupVersion;
  const found = `Docker uses the "${driver}" cgroup driver on cgroup v${dockerVersion}`;
  if (config.cgroupDriver !== undefined && config.cgroupDriver !== driver) {
    return fail("Cgroups", `${found}, but --cgroup-driver is "${config.cgroupDriver}": docker-cri refuses to start`, `Make them the same: drop --cgroup-driver, or set "exec-opts": ["native.cgroupdriver=${config.cgroupDriver}"] in /etc/docker/daemon.json and restart dockerd`);
  }
  if (layout instanceof Error) return warn("Cgroups", `${found}; cannot read this host's cgroup mounts: ${layout.message}`);
  const host = layout.version === 2 ? "cgroup v2 (unified)" : "cgroup v1";
  if (String(layout.version) !== dockerVersion) {
    return warn("Cgroups", `${found}, but this host mounts ${host}: docker-cri and dockerd do not see the same hierarchy`, "Run docker-cri on the same host (and mount namespace) as dockerd");
  }
  return ok("Cgroups", `${found}; this host mounts ${host}. The kubelet must use cgroupDriver "${driver}" too`);
}

/** The kubelet reads container logs from the files of Docker's json-file driver. */
export function checkLogDriver(info: DockerInfo): CheckResult {
  if (info.loggingDriver === "json-file" || info.loggingDriver === "") return ok("Log driver", 'Docker logs to "json-file", which the kubelet reads (kubectl logs)');
  return fail("Log driver", `Docker's default log driver is "${info.loggingDriver}": kubectl logs will show nothing for pods`, 'Set "log-driver": "json-file" in /etc/docker/daemon.json and restart dockerd (existing containers keep their driver)');
}

/** The pause image: present locally, or pulled at the first pod (which then needs the registry). */
export async function checkPauseImage(docker: DockerClient, config: Config, timeoutMs: number): Promise<CheckResult> {
  const ref = config.podInfraContainerImage;
  try {
    await docker.transport.request({ operation: "inspect_image", method: "GET", path: `/images/${encodeURIComponent(ref)}/json`, signal: AbortSignal.timeout(timeoutMs) });
    return ok("Pause image", `"${ref}" is present`);
  } catch (err) {
    if (hasKind(err, "NotFound")) return warn("Pause image", `"${ref}" is not present locally: it is pulled when the first pod starts`, `Pull it now (docker pull ${ref}) if this node cannot reach the registry later, or set --pod-infra-container-image`);
    return warn("Pause image", `cannot look up "${ref}": ${errorMessage(err)}`);
  }
}
