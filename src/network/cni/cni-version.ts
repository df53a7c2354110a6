/**
 * CNI specification versions. We speak every version whose results the plugins in circulation emit:
 * 0.1.0/0.2.0 (results with `ip4`/`ip6`), 0.3.x and 0.4.0 (`ips` with a `version` field, CHECK and a
 * cached `prevResult` on DEL from 0.4.0), 1.0.0 (`ips` without `version`) and 1.1.0 (STATUS and GC).
 */
export const supportedCniVersions = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;

/** The newest version we implement; a config's `cniVersions` entries above it are ignored (as libcni does). */
export const newestCniVersion = "1.1.0";

const semver = /^(\d+)\.(\d+)\.(\d+)$/;

/** Major, minor and patch of a version; undefined when it is not `x.y.z`. */
function parts(version: string): [number, number, number] | undefined {
  const m = semver.exec(version);
  if (m === null) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function isValidVersion(version: string): boolean {
  return parts(version) !== undefined;
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`; invalid versions sort first. */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  if (pa === undefined || pb === undefined) return (pa === undefined ? 0 : 1) - (pb === undefined ? 0 : 1);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function versionAtLeast(version: string, min: string): boolean {
  return isValidVersion(version) && compareVersions(version, min) >= 0;
}

export function isSupportedVersion(version: string): boolean {
  return (supportedCniVersions as readonly string[]).includes(version);
}
