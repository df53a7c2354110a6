/**
 * Docker has labels but no annotations, so CRI annotations are stored as labels under the
 * "annotation." prefix, next to the few labels the shim itself sets. These keys are shared with
 * dockershim and cri-dockerd (coexistence on one node depends on them); the shim's own labels are
 * never shown back to the kubelet as CRI labels.
 */
export const annotationPrefix = "annotation.";

/** "podsandbox" or "container": what a Docker container is to the shim. */
export const containerTypeLabel = "io.kubernetes.docker.type";
export const containerTypeSandbox = "podsandbox";
export const containerTypeContainer = "container";
/** On an app container: the id of the sandbox it belongs to. */
export const sandboxIdLabel = "io.kubernetes.sandbox.id";
/** On an app container: the kubelet's log path, which StartContainer symlinks to Docker's log. */
export const containerLogPathLabel = "io.kubernetes.container.logpath";
/** The container's name; the kubelet sets it on app containers, the shim sets "POD" on sandboxes (for cAdvisor). */
export const containerNameLabel = "io.kubernetes.container.name";
/** Labels the kubelet itself puts on a pod sandbox. */
export const podNameLabel = "io.kubernetes.pod.name";
export const podNamespaceLabel = "io.kubernetes.pod.namespace";
export const podUidLabel = "io.kubernetes.pod.uid";
/**
 * docker-cri's own: the CRI runtime handler a sandbox was run with, because inspect cannot tell
 * "no handler" from Docker's default runtime. Only set when a handler was asked for.
 */
export const runtimeHandlerLabel = "io.kubernetes.docker-cri.runtime-handler";

/**
 * docker-cri's own, on a privileged app container given the host's capabilities instead of Docker's
 * privileged mode (value "host-capabilities"): its /sys bind was added by docker-cri, not asked for,
 * and ContainerStatus leaves it out of the mounts.
 */
export const privilegedModeLabel = "io.kubernetes.docker-cri.privileged-mode";

const internalLabels: ReadonlySet<string> = new Set([containerTypeLabel, containerLogPathLabel, sandboxIdLabel, runtimeHandlerLabel, privilegedModeLabel]);

/** Merges CRI labels and annotations into Docker labels. */
export function makeLabels(labels: Readonly<Record<string, string>>, annotations: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { ...labels };
  for (const [k, v] of Object.entries(annotations)) out[`${annotationPrefix}${k}`] = v;
  return out;
}

/** Splits Docker labels back into CRI labels and annotations, leaving out the shim's own. */
export function extractLabels(dockerLabels: Readonly<Record<string, string>>): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const isSandbox = dockerLabels[containerTypeLabel] === containerTypeSandbox;
  for (const [k, v] of Object.entries(dockerLabels)) {
    if (internalLabels.has(k)) continue;
    // The shim's "POD" name label on sandboxes is not the kubelet's.
    if (isSandbox && k === containerNameLabel) continue;
    if (k.startsWith(annotationPrefix)) annotations[k.slice(annotationPrefix.length)] = v;
    else labels[k] = v;
  }
  return { labels, annotations };
}

/** True when every key of `selector` has the same value in `labels` (CRI label selectors are exact matches). */
export function matchesSelector(labels: Readonly<Record<string, string>>, selector: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
