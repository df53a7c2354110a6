import type { MessageInitShape } from "@bufbuild/protobuf";
import { open } from "node:fs/promises";
import type { ContainerInspect } from "../../docker/index.js";
import { CriError } from "../../errors/index.js";
import { ContainerState, type ContainerStatusSchema } from "../../gen/index.js";
import { criPropagation } from "../translate/container-mounts.js";
import { containerCriLabels, userSpecifiedImageLabel } from "../translate/container-config.js";
import { containerLogPathLabel, containerStateOf, dockerTimeToNanos, parseContainerName, privilegedModeLabel } from "../translate/index.js";
import { criStopSignal } from "../translate/stop-signal.js";
import type { ContainerDeps } from "./container-deps.js";
import { containerProcessUser } from "./container-user.js";

export type ContainerStatusShape = MessageInitShape<typeof ContainerStatusSchema>;

/** The kubelet's annotation naming the file a container writes its termination message to. */
export const terminationMessagePathAnnotation = "io.kubernetes.container.terminationMessagePath";
/** The kubelet keeps at most this much of a termination message (MaxContainerTerminationMessageLength). */
const maxTerminationMessageBytes = 4096;

/**
 * A container's CRI status from Docker's inspect. Reason for an exited container, as dockershim
 * gave it: "OOMKilled" when the cgroup's OOM killer ended it, "Completed" for exit code 0, "Error"
 * otherwise. Message: the termination message file when the annotation names one and it holds
 * something, else Docker's error (why it could not start).
 */
export async function toContainerStatus(deps: Pick<ContainerDeps, "images">, c: ContainerInspect, signal: AbortSignal): Promise<ContainerStatusShape> {
  const names = parseContainerName(c.name);
  if (names === undefined) throw new CriError("Internal", `Container "${c.id}" has a name that is not a CRI container name: "${c.name}"`);
  const { labels, annotations } = containerCriLabels(c.config.labels);
  const state = containerStateOf(c.state.status);
  const identity = await deps.images.resolve(c.config.image, c.imageId, signal);
  // The host's sysfs docker-cri bound into a privileged container on a capability-limited host is not
  // one of the mounts the container was created with.
  const addedSys = c.config.labels[privilegedModeLabel] === "host-capabilities";
  const mounts = c.mounts
    .filter((m) => (m.type === "bind" || m.type === "image") && !(addedSys && m.destination === "/sys" && m.source === "/sys"))
    .map((m) => {
      const asked = c.hostConfig.mounts?.find((h) => h.type === m.type && h.target === m.destination);
      // An image volume is reported as the kubelet gave it: the image (Docker's Name), no host path
      // (Docker's Source is where it mounted the image's layers), read-only, and its sub path.
      if (m.type === "image") return { containerPath: m.destination, hostPath: "", readonly: true, image: { image: m.name }, imageSubPath: asked?.imageSubpath ?? "" };
      return {
        containerPath: m.destination,
        hostPath: m.source,
        readonly: !m.rw,
        recursiveReadOnly: asked?.readOnlyForceRecursive ?? false,
        selinuxRelabel: /z/i.test(m.mode),
        propagation: criPropagation(m.propagation),
      };
    });

  let reason = "";
  let message = c.state.error;
  if (state === ContainerState.CONTAINER_EXITED) {
    reason = c.state.oomKilled ? "OOMKilled" : c.state.exitCode === 0 ? "Completed" : "Error";
    const path = annotations[terminationMessagePathAnnotation];
    const mount = path === undefined ? undefined : mounts.find((m) => m.containerPath === path);
    const terminationMessage = mount === undefined ? "" : await readHead(mount.hostPath, maxTerminationMessageBytes);
    if (terminationMessage !== "") message = terminationMessage;
  }
  const user = await containerProcessUser(c);
  const h = c.hostConfig;
  return {
    id: c.id,
    metadata: { name: names.name, attempt: names.attempt },
    state,
    createdAt: dockerTimeToNanos(c.created),
    startedAt: dockerTimeToNanos(c.state.startedAt),
    finishedAt: state === ContainerState.CONTAINER_EXITED ? dockerTimeToNanos(c.state.finishedAt) : 0n,
    exitCode: c.state.exitCode,
    image: { image: c.config.image, userSpecifiedImage: c.config.labels[userSpecifiedImageLabel] ?? "" },
    imageRef: identity.imageRef,
    imageId: identity.imageId,
    reason,
    message,
    labels,
    annotations,
    mounts,
    logPath: c.config.labels[containerLogPathLabel] ?? "",
    resources: {
      linux: {
        cpuPeriod: BigInt(h.cpuPeriod),
        cpuQuota: BigInt(h.cpuQuota),
        cpuShares: BigInt(h.cpuShares),
        memoryLimitInBytes: BigInt(h.memory),
        // Docker reads -1 as unlimited swap; CRI has no such value, 0 is "not specified".
        memorySwapLimitInBytes: BigInt(Math.max(0, h.memorySwap)),
        oomScoreAdj: BigInt(h.oomScoreAdj),
        cpusetCpus: h.cpusetCpus,
        cpusetMems: h.cpusetMems,
      },
    },
    ...(user === undefined ? {} : { user: { linux: user } }),
    stopSignal: criStopSignal(c.config.stopSignal),
  };
}

/** Up to `max` bytes of a file as UTF-8; "" when it is missing or unreadable. */
async function readHead(path: string, max: number): Promise<string> {
  let handle;
  try {
    handle = await open(path, "r");
    const buf = Buffer.alloc(max);
    const { bytesRead } = await handle.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } catch {
    return "";
  } finally {
    await handle?.close();
  }
}
