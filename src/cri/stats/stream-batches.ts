/**
 * The Stream* stats variants (kubelet feature gate CRIListStreaming) send the same results as the
 * unary calls in batches, so that no single message approaches gRPC's size limit on a full node.
 */
const batchSize = 100;

export function* batches<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += batchSize) yield items.slice(i, i + batchSize);
}
