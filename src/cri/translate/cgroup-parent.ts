import { posix } from "node:path";
import { CriError } from "../../errors/index.js";

/**
 * The cgroup parent in the form Docker's cgroup driver expects. With cgroupfs it is a path
 * ("/kubepods/burstable/pod<uid>") and passes through. With systemd Docker wants a slice name
 * ("kubepods-burstable-pod<uid>.slice"): the kubelet on a systemd node already sends one, and a path
 * is cut to its last component, as dockershim did. Anything that is still not a slice would make
 * Docker fail at create with a less helpful message, so it is refused here.
 */
export function expectedCgroupParent(driver: "cgroupfs" | "systemd", cgroupParent: string): string {
  // runc would fail to create it (control characters) or, with "..", place the pod outside the
  // kubelet's hierarchy; a kubelet never sends either (found by test/chaos fuzzing).
  if (/\p{Cc}/u.test(cgroupParent) || cgroupParent.split("/").includes("..")) {
    throw new CriError("InvalidArgument", `Invalid cgroup parent ${JSON.stringify(cgroupParent)}: it may not hold control characters or ".." components`);
  }
  if (cgroupParent === "" || driver === "cgroupfs") return cgroupParent;
  const slice = posix.basename(cgroupParent);
  if (!slice.endsWith(".slice") || slice === ".slice") {
    throw new CriError("InvalidArgument", `Invalid cgroup parent "${cgroupParent}": Docker uses the systemd cgroup driver, which needs a slice name such as "kubepods-besteffort.slice"`);
  }
  return slice;
}
