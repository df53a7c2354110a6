/**
 * How hard the chaos tests push. `npm test` runs every file under test/ with a light sample (seconds
 * each); `npm run test:chaos` sets DOCKER_CRI_CHAOS=full for the sizes the reliability issue asks
 * for (100 crash lifecycles, 1,000 create/remove cycles, 10,000 fuzz cases, 100 exec sessions).
 */
export type ChaosScale = "light" | "full";

export function chaosScale(): ChaosScale {
  return process.env.DOCKER_CRI_CHAOS === "full" ? "full" : "light";
}

/** `light` under npm test, `full` under npm run test:chaos. */
export function bySize<T>(light: T, full: T): T {
  return chaosScale() === "full" ? full : light;
}

/** A deterministic PRNG (mulberry32), so that a failing fuzz or kill schedule can be replayed from its seed. */
export class Rng {
  #state: number;
  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#state = this.seed;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/** The seed from DOCKER_CRI_CHAOS_SEED (to replay a failure), else a fresh one; always printed by the caller. */
export function chaosSeed(): number {
  const given = process.env.DOCKER_CRI_CHAOS_SEED;
  if (given !== undefined && /^\d+$/.test(given)) return Number(given);
  return Math.floor(Math.random() * 2 ** 31);
}
