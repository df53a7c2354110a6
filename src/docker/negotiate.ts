import { CriError } from "../errors/index.js";
import { compareApiVersions, minApiVersion } from "./api-version.js";
import type { DockerTransport } from "./transport.js";
import { parseVersion, type DockerVersion } from "./version.js";

/**
 * The newest Docker API this client is written against. Talking to a newer daemon, we pin this
 * version so that response shapes and defaults stay the ones we parse.
 */
export const OUR_MAX_API_VERSION = "1.47";

/** dockershim's MinimumDockerAPIVersion (Docker 1.13.1); older daemons lack what the shim needs. */
export const MIN_API_VERSION = "1.26";

export interface NegotiatedVersion extends DockerVersion {
  /** The version every later request uses: min(OUR_MAX_API_VERSION, the daemon's ApiVersion). */
  readonly apiVersion: string;
  /** What the daemon itself reported as its newest version. */
  readonly daemonApiVersion: string;
}

/**
 * Asks the daemon which API versions it speaks (`GET /version`, unversioned so that any daemon can
 * answer) and makes the transport prefix every later path with the chosen `/v1.NN`.
 */
export async function negotiateApiVersion(transport: DockerTransport, signal?: AbortSignal): Promise<NegotiatedVersion> {
  const res = await transport.request({
    operation: "version",
    method: "GET",
    path: "/version",
    unversioned: true,
    ...(signal === undefined ? {} : { signal }),
  });
  const daemon = parseVersion(res.body);
  const apiVersion = minApiVersion(OUR_MAX_API_VERSION, daemon.apiVersion);
  if (compareApiVersions(apiVersion, MIN_API_VERSION) < 0) {
    throw new CriError(
      "FailedPrecondition",
      `docker API version is older than ${MIN_API_VERSION}: the daemon at ${transport.endpoint} speaks ${daemon.apiVersion}`,
    );
  }
  // Docker 29.0–29.2 refuse anything below 1.44 by default; say so instead of failing every call with 400.
  if (daemon.minApiVersion !== "" && compareApiVersions(apiVersion, daemon.minApiVersion) < 0) {
    throw new CriError(
      "FailedPrecondition",
      `docker API version ${apiVersion} is not accepted: the daemon at ${transport.endpoint} requires at least ${daemon.minApiVersion}`,
    );
  }
  transport.useApiVersion(apiVersion);
  return { ...daemon, apiVersion, daemonApiVersion: daemon.apiVersion };
}
