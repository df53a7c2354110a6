import { parseFlags, programName, programVersion, type Config } from "../config/index.js";
import { DockerClient, HttpTransport } from "../docker/index.js";
import { errorMessage } from "../errors/index.js";
import { readCgroupLayout } from "../host/index.js";
import { silentLogger } from "../logger/index.js";
import { readHostLimits } from "../host/host-limits.js";
import { fail, ok, type CheckResult } from "./doctor-check.js";
import { checkCgroups, checkDocker, checkEngine, checkLogDriver, checkPauseImage } from "./docker-checks.js";
import { formatReport } from "./format-report.js";
import { checkNetwork } from "./network-check.js";
import { checkOomScores } from "./oom-check.js";
import { checkRuntimeCgroups } from "./runtime-cgroups-check.js";
import { checkCriSocket, checkRemoteSocket } from "./socket-check.js";

/** Each Docker call of the doctor gives up after this long: a hung dockerd is itself the finding. */
const dockerTimeoutMs = 5_000;

const usage = `Usage: ${programName} doctor [flags]

Checks this host for docker-cri, given the flags you start it with (the same flags as the daemon,
e.g. those of its systemd unit): Docker reachable and its API version, its image store and the
version-dependent features it allows (recursive read-only mounts, image volumes, CDI devices),
cgroup driver and version,
log driver, the pause image, CNI config and binaries, the CRI socket's permissions, whether negative
OOM scores are allowed, and --runtime-cgroups. Prints one line per check and exits 1 when something
stops docker-cri from working, 0 otherwise (warnings included).
`;

type Out = Pick<NodeJS.WritableStream, "write">;

/**
 * The daemon's flags, but an fd:// endpoint is taken out first: it names a socket systemd passes to
 * the daemon, which a doctor run from a shell does not have.
 */
function splitEndpoint(args: readonly string[]): { rest: string[]; fdEndpoint: string | undefined } {
  const rest: string[] = [];
  let fdEndpoint: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    const next = args[i + 1];
    if (a.startsWith("--container-runtime-endpoint=fd://")) {
      fdEndpoint = a.slice("--container-runtime-endpoint=".length);
    } else if (a === "--container-runtime-endpoint" && next?.startsWith("fd://") === true) {
      fdEndpoint = next;
      i++;
    } else {
      rest.push(a);
    }
  }
  return { rest, fdEndpoint };
}

async function runChecks(config: Config, fdEndpoint: string | undefined): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  if (config.containerRuntime === "remote") {
    results.push(ok("Mode", `--container-runtime=remote: docker-cri forwards CRI to ${config.remoteRuntimeEndpoint}; Docker is not used`));
    results.push(await checkRemoteSocket(config.remoteRuntimeEndpoint));
  } else {
    const transport = new HttpTransport({ endpoint: config.dockerEndpoint, requestTimeoutMs: dockerTimeoutMs, log: silentLogger() });
    const docker = new DockerClient(transport, { endpoint: config.dockerEndpoint, requestTimeoutMs: dockerTimeoutMs, imagePullProgressDeadlineMs: dockerTimeoutMs, log: silentLogger() });
    try {
      const { results: dockerResults, info, version } = await checkDocker(docker, config, dockerTimeoutMs);
      results.push(...dockerResults);
      if (info !== undefined && version !== undefined) results.push(...checkEngine(version, info));
      if (info !== undefined) {
        const layout = await readCgroupLayout().catch((err: unknown) => new Error(errorMessage(err)));
        results.push(checkCgroups(info, config, layout), checkLogDriver(info), await checkPauseImage(docker, config, dockerTimeoutMs));
        if (config.runtimeCgroups !== "") results.push(await checkRuntimeCgroups(config.runtimeCgroups, info.cgroupDriver === "systemd" ? "systemd" : "cgroupfs"));
      }
    } finally {
      await docker.close();
    }
    results.push(await checkNetwork(config));
  }
  results.push(await checkCriSocket(fdEndpoint === undefined && config.endpoint.kind === "unix" ? { kind: "unix", path: config.endpoint.path } : { kind: "fd", text: fdEndpoint ?? config.endpointText }));
  results.push(checkOomScores(await readHostLimits()));
  return results;
}

/**
 * `docker-cri doctor [flags]`: writes the report to `out` and resolves with the exit code (0 healthy
 * or warnings only, 1 a problem, 2 bad flags). Never throws.
 */
export async function runDoctor(args: readonly string[], env: Readonly<Record<string, string | undefined>>, out: Out): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    out.write(usage);
    return 0;
  }
  const { rest, fdEndpoint } = splitEndpoint(args);
  let config: Config;
  try {
    const parsed = parseFlags(rest, env);
    if (parsed.kind === "print") {
      out.write(parsed.text);
      return 0;
    }
    config = parsed.config;
  } catch (err) {
    out.write(`${programName} doctor: ${errorMessage(err)} (see ${programName} --help)\n`);
    return 2;
  }
  let results: CheckResult[];
  try {
    results = await runChecks(config, fdEndpoint);
  } catch (err) {
    results = [fail("Doctor", `the checks stopped early: ${errorMessage(err)}`)];
  }
  out.write(formatReport(`${programName} ${programVersion} doctor`, results));
  return results.some((r) => r.status === "fail") ? 1 : 0;
}
