import { JsonObjectReader, type DockerTransport } from "../docker/index.js";

/**
 * Writable layer sizes of every container carrying `label`, in one call: `GET /containers/json` with
 * `size=1` has Docker measure each container's layer (SizeRw). Costly for the daemon, which is why
 * only the background refresher calls it.
 */
export async function listWritableLayerSizes(transport: DockerTransport, label: string, signal: AbortSignal, timeoutMs: number): Promise<Map<string, bigint>> {
  const res = await transport.request({
    operation: "list_containers_size",
    method: "GET",
    path: "/containers/json",
    query: { all: true, size: true, filters: { label: [label] } },
    signal,
    timeoutMs,
  });
  const out = new Map<string, bigint>();
  const items: unknown[] = Array.isArray(res.body) ? res.body : [];
  for (const item of items) {
    const r = JsonObjectReader.of(item, 'Docker "list_containers" response');
    out.set(r.string("Id"), BigInt(Math.max(0, Math.trunc(r.optNumber("SizeRw")))));
  }
  return out;
}
