import { JsonObjectReader } from "./parse.js";

/** What `GET /version` tells us about the daemon. */
export interface DockerVersion {
  /** Docker's release, e.g. "20.10.24+dfsg1". */
  readonly version: string;
  /** The newest API version the daemon speaks. */
  readonly apiVersion: string;
  /** The oldest API version the daemon accepts; "" when the daemon does not say (very old daemons). */
  readonly minApiVersion: string;
  readonly os: string;
  readonly arch: string;
  readonly kernelVersion: string;
  readonly gitCommit: string;
  readonly goVersion: string;
}

export function parseVersion(body: unknown): DockerVersion {
  const r = JsonObjectReader.of(body, 'Docker "version" response');
  return {
    version: r.string("Version"),
    apiVersion: r.string("ApiVersion"),
    minApiVersion: r.optString("MinAPIVersion"),
    os: r.optString("Os"),
    arch: r.optString("Arch"),
    kernelVersion: r.optString("KernelVersion"),
    gitCommit: r.optString("GitCommit"),
    goVersion: r.optString("GoVersion"),
  };
}
