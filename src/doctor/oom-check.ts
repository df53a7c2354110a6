import type { HostLimits } from "../host/host-limits.js";
import { ok, warn, type CheckResult } from "./doctor-check.js";

/**
 * The kubelet gives Guaranteed pods oom_score_adj -997 and asks for other negative values; runc
 * writes them with dockerd's privileges, and without CAP_SYS_RESOURCE the kernel refuses to go below
 * the writer's own value. docker-cri then clamps them (or the container would fail to start).
 */
export function checkOomScores(limits: HostLimits): CheckResult {
  if (limits.minOomScoreAdj < 0) return ok("OOM scores", "negative oom_score_adj values are allowed (CAP_SYS_RESOURCE): critical pods and the runtime are killed last under memory pressure");
  return warn(
    "OOM scores",
    `negative oom_score_adj values are not allowed here (no CAP_SYS_RESOURCE, as in an unprivileged container): docker-cri raises the kubelet's negative scores to ${limits.minOomScoreAdj}, so under memory pressure the kernel may kill critical pods and dockerd as readily as any other process`,
    "Run docker-cri and dockerd on the host with full root capabilities",
  );
}
