import { randomBytes } from "node:crypto";
import { CriError } from "../errors/index.js";

/** How long a token stays valid (the kubelet's streaming server: 1 minute). */
export const tokenTtlMs = 60_000;
/** Outstanding tokens at most; one more Exec/Attach/PortForward is ResourceExhausted. */
export const maxInFlightTokens = 1000;

export interface RequestCacheOptions {
  readonly ttlMs?: number;
  readonly maxInFlight?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/**
 * Single-use tokens for the URLs Exec, Attach and PortForward hand out. A token is 22 characters of
 * unpadded base64url from 16 random bytes — 128 bits, where the kubelet used 48, since the token is
 * the only credential the streaming server checks — expires after `ttlMs`, and is removed
 * by the first lookup whether or not it had expired. Expired entries are collected on every insert,
 * so the in-flight limit counts only live tokens. Insertion order is expiry order (one TTL for all),
 * which makes collection a scan from the oldest.
 */
export class RequestCache<T> {
  readonly #entries = new Map<string, { value: T; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(opts: RequestCacheOptions = {}) {
    this.#ttlMs = opts.ttlMs ?? tokenTtlMs;
    this.#max = opts.maxInFlight ?? maxInFlightTokens;
    this.#now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Stores `value` under a fresh token; ResourceExhausted when `maxInFlight` tokens are outstanding. */
  insert(value: T): string {
    const now = this.#now();
    this.#collect(now);
    if (this.#entries.size >= this.#max) {
      throw new CriError("ResourceExhausted", `Maximum number of in-flight streaming requests exceeded: ${this.#max} tokens are outstanding; retry after one expires`);
    }
    let token = newToken();
    // 128 random bits make a collision practically impossible; the loop makes it impossible.
    while (this.#entries.has(token)) token = newToken();
    this.#entries.set(token, { value, expiresAt: now + this.#ttlMs });
    return token;
  }

  /** Removes the token and returns its value, or undefined when unknown or expired. */
  consume(token: string): T | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    this.#entries.delete(token);
    return this.#now() < entry.expiresAt ? entry.value : undefined;
  }

  #collect(now: number): void {
    for (const [token, entry] of this.#entries) {
      if (entry.expiresAt > now) break;
      this.#entries.delete(token);
    }
  }
}

function newToken(): string {
  return randomBytes(16).toString("base64url");
}
