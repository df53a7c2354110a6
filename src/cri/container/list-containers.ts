import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerFilter, ListContainersRequest, ListContainersResponseSchema } from "../../gen/index.js";
import type { RpcContext } from "../context.js";
import { containerCriLabels, userSpecifiedImageLabel } from "../translate/container-config.js";
import { containerStateOf, containerTypeContainer, containerTypeLabel, matchesSelector, parseContainerName, sandboxIdLabel, secondsToNanos } from "../translate/index.js";
import type { ContainerDeps } from "./container-deps.js";

type Item = NonNullable<MessageInitShape<typeof ListContainersResponseSchema>["containers"]>[number];

const fullId = /^[0-9a-f]{64}$/;

/**
 * ListContainers: one `GET /containers/json` (all states) narrowed by Docker's label filter, with
 * the CRI filters (all ANDed) applied here: id and sandbox id as prefixes (Docker's id filter is a
 * regular expression, not a prefix), state after mapping Docker's, labels exactly on the CRI labels.
 * A full sandbox id and the label selector also go to Docker, so a busy node sends back only what
 * can match.
 */
export async function listContainers(deps: ContainerDeps, request: ListContainersRequest, ctx: RpcContext): Promise<MessageInitShape<typeof ListContainersResponseSchema>> {
  const filter = request.filter;
  const labelFilters = [`${containerTypeLabel}=${containerTypeContainer}`];
  if (filter !== undefined && fullId.test(filter.podSandboxId)) labelFilters.push(`${sandboxIdLabel}=${filter.podSandboxId}`);
  for (const [k, v] of Object.entries(filter?.labelSelector ?? {})) labelFilters.push(`${k}=${v}`);
  const listed = await deps.containers.list({ all: true, filters: { label: labelFilters } }, ctx.signal);
  const items: Item[] = [];
  for (const c of listed) {
    const podSandboxId = c.labels[sandboxIdLabel] ?? "";
    if (!matchesIds(filter, c.id, podSandboxId)) continue;
    const state = containerStateOf(c.state);
    if (filter?.state !== undefined && filter.state.state !== state) continue;
    const names = parseContainerName(c.names[0] ?? "");
    if (names === undefined) {
      ctx.log.debug({ containerId: c.id, names: c.names }, "Skipping a container-labelled container whose name is not a CRI container name");
      continue;
    }
    const { labels, annotations } = containerCriLabels(c.labels);
    if (!matchesSelector(labels, filter?.labelSelector ?? {})) continue;
    const identity = await deps.images.resolve(c.image, c.imageId, ctx.signal);
    items.push({
      id: c.id,
      podSandboxId,
      metadata: { name: names.name, attempt: names.attempt },
      image: { image: c.image, userSpecifiedImage: c.labels[userSpecifiedImageLabel] ?? "" },
      imageRef: identity.imageRef,
      imageId: identity.imageId,
      state,
      createdAt: secondsToNanos(c.created),
      labels,
      annotations,
    });
  }
  return { containers: items };
}

function matchesIds(filter: ContainerFilter | undefined, id: string, podSandboxId: string): boolean {
  if (filter === undefined) return true;
  if (filter.id !== "" && !id.startsWith(filter.id)) return false;
  return filter.podSandboxId === "" || podSandboxId.startsWith(filter.podSandboxId);
}
