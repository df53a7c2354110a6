import { CriError } from "../errors/index.js";
import { compareApiVersions, minApiVersion } from "./api-version.js";
import type { DockerTransport } from "./transport.js";
import { parseVersion, type DockerVersion } from "./version.js";

/**
 * The newest Docker API this client is written against. Talking to a newer daemon, we pin this
 * version so that response shapes and defaults stay the ones we parse.
 *
 * Why 1.51 (Docker 28.3–28.5; the newest engine tested here is 28.5.2): image mounts need 1.48
 * (`Mount` type `image` and its `ImageOptions.Subpath` both came with Docker 28.0; below 1.48 Docker
 * refuses the type with "needs API v1.48 or newer", the subpath has no gate of its own). Between
 * 1.47 and 1.51 the Engine API changelog changes nothing we parse in a way that breaks us: image
 * inspect drops container-only `Config` fields (1.50; we read only the image config's own), `/info`
 * gains and drops fields we do not read, pull progress deprecates the `error` and `progress` texts
 * (1.48; we read `errorDetail` first), `/images/json` counts `Containers` (1.51). One change matters
 * on create: from 1.48 Docker no longer moves an `eth0` sysctl of `HostConfig.Sysctls` to the
 * endpoint's `DriverOpts` but refuses it, so the client moves it (interface-sysctls.ts).
 *
 * Why not higher: 1.52 (Docker 29) removes the top-level `NetworkSettings` endpoint fields
 * (`IPAddress`, `Gateway`, `MacAddress`, …; we read `NetworkSettings.Networks` only) and the events'
 * `status`/`id`/`from` (we read `Action` and `Actor`), omits unset image `Config` fields, and warns
 * about empty `PortBindings` lists, which 1.53 then drops; the changelog says 1.53 stops sending
 * `/system/df`'s `LayersSize` and `Containers`, which ImageFsInfo reads (their successors are
 * `ImagesUsage` and `ContainersUsage`). Docker 29 accepts 1.51 (its MinAPIVersion is 1.44 or lower),
 * so none of that reaches us until this constant is raised. Docker 29 also negotiates the events'
 * content type on every API version; we send no `Accept`, so it keeps answering newline-delimited
 * JSON (`application/json-seq` would need our line splitter changed).
 */
export const OUR_MAX_API_VERSION = "1.51";

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
      `docker API version ${apiVersion} is not accepted: the daemon at ${transport.endpoint} (Docker ${daemon.version}) requires at least ${daemon.minApiVersion}, and docker-cri speaks at most ${OUR_MAX_API_VERSION}`,
    );
  }
  transport.useApiVersion(apiVersion);
  return { ...daemon, apiVersion, daemonApiVersion: daemon.apiVersion };
}
