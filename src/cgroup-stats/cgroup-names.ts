import { CriError } from "../errors/index.js";

/**
 * Where Docker puts a container's cgroup, as a name absolute in the hierarchy (the same name in every
 * v1 controller and in the v2 tree):
 *
 *   cgroupfs  <parent or "/docker">/<id>                 /kubepods/burstable/pod<uid>/<id>
 *   systemd   <parent slice expanded>/docker-<id>.scope  /kubepods.slice/kubepods-burstable.slice/
 *                                                        kubepods-burstable-pod<uid>.slice/docker-<id>.scope
 *
 * With systemd Docker's default parent is system.slice.
 */
export function containerCgroupName(driver: "cgroupfs" | "systemd", cgroupParent: string, id: string): string {
  if (driver === "systemd") {
    const slice = expandSlice(cgroupParent === "" ? "system.slice" : cgroupParent);
    return `${slice === "/" ? "" : slice}/docker-${id}.scope`;
  }
  return `${absolute(cgroupParent === "" ? "/docker" : cgroupParent)}/${id}`;
}

/** The cgroup a pod's containers share: the sandbox's cgroup parent, expanded for systemd. */
export function podCgroupName(driver: "cgroupfs" | "systemd", cgroupParent: string): string {
  return driver === "systemd" ? expandSlice(cgroupParent) : absolute(cgroupParent);
}

/**
 * systemd's slice naming: each dash opens a nested slice, so "a-b-c.slice" lives at
 * /a.slice/a-b.slice/a-b-c.slice, and "-.slice" is the root. A path (the kubelet sends one with
 * cgroupfs) keeps only its last component, which is what Docker's systemd driver uses.
 */
export function expandSlice(slice: string): string {
  const name = slice.slice(slice.lastIndexOf("/") + 1);
  if (name === "-.slice") return "/";
  if (!name.endsWith(".slice") || name.includes("--") || name.startsWith("-")) {
    throw new CriError("InvalidArgument", `Invalid systemd slice "${slice}": expected a name such as "kubepods-burstable.slice"`);
  }
  const parts = name.slice(0, -".slice".length).split("-");
  let prefix = "";
  let path = "";
  for (const part of parts) {
    prefix = prefix === "" ? part : `${prefix}-${part}`;
    path += `/${prefix}.slice`;
  }
  return path;
}

function absolute(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}
