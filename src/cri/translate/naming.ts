import { randomBytes } from "node:crypto";

/**
 * Docker container names carry the pod's identity, as dockershim and cri-dockerd name them, so that
 * Docker alone tells which pod a container belongs to after any restart (ours or a cri-dockerd
 * node's) and so that Docker's name uniqueness enforces CRI's "one sandbox per metadata":
 *
 *   sandbox    k8s_POD_<pod name>_<pod namespace>_<pod uid>_<sandbox attempt>
 *   container  k8s_<container name>_<pod name>_<pod namespace>_<pod uid>_<container attempt>
 *
 * A seventh `_<8 hex>` part is appended when Docker keeps a name we cannot free (see randomizeName);
 * parsing tolerates it. Changing this format breaks every existing node.
 */
const kubePrefix = "k8s";
/** The "container name" of every sandbox, also its io.kubernetes.container.name label. */
export const sandboxContainerName = "POD";
const delimiter = "_";

export interface SandboxNameParts {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly attempt: number;
}

export interface ContainerNameParts {
  readonly name: string;
  readonly attempt: number;
  readonly podName: string;
  readonly podNamespace: string;
  readonly podUid: string;
}

export function makeSandboxName(pod: SandboxNameParts): string {
  return [kubePrefix, sandboxContainerName, pod.name, pod.namespace, pod.uid, String(pod.attempt)].join(delimiter);
}

export function makeContainerName(pod: Omit<SandboxNameParts, "attempt">, container: { readonly name: string; readonly attempt: number }): string {
  return [kubePrefix, container.name, pod.name, pod.namespace, pod.uid, String(container.attempt)].join(delimiter);
}

/** Appends a random suffix; only for a name Docker still holds after we failed to remove its owner. */
export function randomizeName(name: string): string {
  return `${name}${delimiter}${randomBytes(4).toString("hex")}`;
}

/** The pod identity in a sandbox's Docker name (with or without the leading "/"); undefined if it is not one. */
export function parseSandboxName(dockerName: string): SandboxNameParts | undefined {
  const parts = split(dockerName);
  if (parts === undefined || parts[1] !== sandboxContainerName) return undefined;
  const [, , name, namespace, uid, attempt] = parts;
  const n = parseAttempt(attempt);
  if (name === undefined || namespace === undefined || uid === undefined || n === undefined) return undefined;
  return { name, namespace, uid, attempt: n };
}

/** The identities in a container's Docker name; undefined if it is not one. */
export function parseContainerName(dockerName: string): ContainerNameParts | undefined {
  const parts = split(dockerName);
  if (parts === undefined) return undefined;
  const [, name, podName, podNamespace, podUid, attempt] = parts;
  const n = parseAttempt(attempt);
  if (name === undefined || podName === undefined || podNamespace === undefined || podUid === undefined || n === undefined) return undefined;
  return { name, attempt: n, podName, podNamespace, podUid };
}

function split(dockerName: string): string[] | undefined {
  const parts = dockerName.replace(/^\//, "").split(delimiter);
  if ((parts.length !== 6 && parts.length !== 7) || parts[0] !== kubePrefix) return undefined;
  return parts;
}

/** A uint32, as the CRI attempt field is. */
function parseAttempt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xffffffff ? n : undefined;
}
