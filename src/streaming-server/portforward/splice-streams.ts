import type { Duplex } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Copies bytes both ways between two duplex streams (the client's data stream and the connection
 * inside the pod) with half-close carried across: when one side ends its writing, the other side's
 * writing is ended too, and the other direction keeps flowing. Resolves when both directions are done
 * or either side failed or was destroyed; then both are destroyed.
 */
export async function spliceStreams(a: Duplex, b: Duplex): Promise<void> {
  try {
    await Promise.all([pipeline(a, b), pipeline(b, a)]);
  } catch {
    // A reset stream or a refused/closed connection ends the splice; nothing to report to anyone.
  } finally {
    a.destroy();
    b.destroy();
  }
}
