import type { MessageInitShape } from "@bufbuild/protobuf";
import { PodSandboxState, type ListPodSandboxRequest, type ListPodSandboxResponseSchema, type PodSandboxFilter } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import {
  containerTypeLabel,
  containerTypeSandbox,
  extractLabels,
  matchesSelector,
  parseSandboxName,
  runtimeHandlerLabel,
  sandboxStateOf,
  secondsToNanos,
} from "../translate/index.js";
import type { SandboxDeps } from "./sandbox-deps.js";

type Item = NonNullable<MessageInitShape<typeof ListPodSandboxResponseSchema>["items"]>[number];

/**
 * ListPodSandbox: every sandbox container in one Docker call, plus sandboxes that only a checkpoint
 * still remembers (their container was removed behind our back, or never created after a crash),
 * listed NOTREADY so that the kubelet stops and removes them.
 *
 * The checkpoints are listed before the containers: a sandbox created in between has its container
 * made before its checkpoint, so it can never look container-less. Filters (id prefix, state, label
 * selector on CRI labels) apply to both kinds alike, in process: Docker's id filter is a regular
 * expression rather than a prefix, and a complete list is needed anyway to tell which checkpoints
 * have lost their container.
 */
export async function listPodSandbox(deps: SandboxDeps, request: ListPodSandboxRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ListPodSandboxResponseSchema>> {
  const filter = request.filter;
  const checkpointIds = await deps.checkpoints.list();
  const containers = await deps.containers.list({ all: true, filters: { label: [`${containerTypeLabel}=${containerTypeSandbox}`] } }, ctx.signal);
  const items: Item[] = [];
  const withContainer = new Set<string>();
  for (const c of containers) {
    withContainer.add(c.id);
    const metadata = parseSandboxName(c.names[0] ?? "");
    if (metadata === undefined) {
      ctx.log.debug({ containerId: c.id, names: c.names }, "Skipping a sandbox-labelled container whose name is not a sandbox name");
      continue;
    }
    const { labels, annotations } = extractLabels(c.labels);
    const item = {
      id: c.id,
      metadata,
      state: sandboxStateOf(c.state),
      createdAt: secondsToNanos(c.created),
      labels,
      annotations,
      runtimeHandler: c.labels[runtimeHandlerLabel] ?? "",
    };
    if (matches(filter, item)) items.push(item);
  }
  for (const id of checkpointIds) {
    if (withContainer.has(id)) continue;
    // Cheap filters first: most checkpoint-only sandboxes are skipped without reading their file.
    if (filter?.id !== undefined && filter.id !== "" && !id.startsWith(filter.id)) continue;
    if (filter?.state !== undefined && filter.state.state === PodSandboxState.SANDBOX_READY) continue;
    const cp = await deps.checkpoints.read(id, ctx.log).catch((err: unknown) => {
      ctx.log.warn({ podSandboxId: id, err }, "Cannot read sandbox checkpoint");
      return undefined;
    });
    if (cp === undefined) continue;
    const item = {
      id,
      metadata: { name: cp.name, namespace: cp.namespace, uid: cp.uid, attempt: cp.attempt },
      state: PodSandboxState.SANDBOX_NOTREADY,
      createdAt: cp.createdAt,
      labels: { ...cp.labels },
      annotations: {},
      runtimeHandler: cp.runtimeHandler,
    };
    if (matches(filter, item)) items.push(item);
  }
  return { items };
}

function matches(filter: PodSandboxFilter | undefined, item: { id: string; state: PodSandboxState; labels: Record<string, string> }): boolean {
  if (filter === undefined) return true;
  if (filter.id !== "" && !item.id.startsWith(filter.id)) return false;
  if (filter.state !== undefined && filter.state.state !== item.state) return false;
  return matchesSelector(item.labels, filter.labelSelector);
}
