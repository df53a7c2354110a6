/**
 * The benchmark contract: each case times the same work done through docker-cri (CRI over the socket)
 * and done directly against dockerd (the Docker calls a shim without our design would make), and the
 * runner reports both and their ratio. Benchmarks are never timed tests: they report, they do not fail.
 */
import type { DockerTransport } from "../src/docker/index.js";
import type { CriClient } from "../test/kit/cri-client.js";

export interface BenchContext {
  /** A CRI client on the docker-cri under test. */
  cri: CriClient;
  /** The daemon's socket, for cases that want their own client. */
  socketPath: string;
  /**
   * A keep-alive Docker client with the negotiated API version, for the direct side: the baseline is
   * dockerd called as efficiently as a shim could call it, not a fresh connection per request.
   */
  docker: DockerTransport;
  /** Labels that mark everything the bench creates, for cleanup. */
  runId: string;
}

export interface BenchCase {
  name: string;
  /** What one iteration does, in a few words ("ListImages with 50 images"). */
  description: string;
  /** Runs once before timing; creates what the case needs. */
  setup?(ctx: BenchContext): Promise<void>;
  /**
   * Runs before each iteration of a side, untimed: makes what that one iteration consumes (the image
   * tag a RemoveImage removes, the container a RemoveContainer removes).
   */
  prepare?(ctx: BenchContext, side: "shim" | "direct"): Promise<void>;
  /** One iteration through docker-cri. */
  shim(ctx: BenchContext): Promise<void>;
  /** One iteration of the equivalent direct Docker calls. */
  direct(ctx: BenchContext): Promise<void>;
  /** Runs once after timing, even when timing failed. */
  teardown?(ctx: BenchContext): Promise<void>;
  /** Timed iterations of each side (default 50). */
  iterations?: number;
}

/** Runs `fn` on every item, at most `width` at a time (pods created a few in parallel, as a kubelet does). */
export async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await fn(item);
    }
  }));
}
