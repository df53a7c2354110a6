import { CriError } from "../errors/index.js";

/**
 * Compares Docker API versions ("1.9" < "1.26" < "1.41") numerically per component; a plain string
 * comparison would order "1.9" after "1.26". Returns <0, 0 or >0.
 */
export function compareApiVersions(a: string, b: string): number {
  const pa = components(a);
  const pb = components(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The lower of two API versions. */
export function minApiVersion(a: string, b: string): string {
  return compareApiVersions(a, b) <= 0 ? a : b;
}

function components(version: string): number[] {
  if (!/^\d+(\.\d+)*$/.test(version)) {
    throw new CriError("Internal", `Invalid Docker API version "${version}": expected numbers separated by dots`);
  }
  return version.split(".").map(Number);
}
