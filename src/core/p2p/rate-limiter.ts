/**
 * Per-peer token buckets: each peer may send `burst` messages at once and `perSecond` on average.
 * The table of peers is bounded (least recently seen evicted first), so a flood of fresh peer ids
 * cannot grow memory without limit.
 */
export interface RateLimiterOptions {
  burst: number;
  perSecond: number;
  maxPeers?: number;
  now?: () => number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #burst: number;
  readonly #perMs: number;
  readonly #maxPeers: number;
  readonly #now: () => number;

  constructor(options: RateLimiterOptions) {
    this.#burst = options.burst;
    this.#perMs = options.perSecond / 1000;
    this.#maxPeers = options.maxPeers ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Spends one token for `peer`; false means drop the message (and count it against the peer). */
  take(peer: string): boolean {
    const now = this.#now();
    let bucket = this.#buckets.get(peer);
    if (bucket) {
      this.#buckets.delete(peer); // re-insert: Map order is our LRU order
      bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs);
      bucket.at = now;
    } else {
      bucket = { tokens: this.#burst, at: now };
      if (this.#buckets.size >= this.#maxPeers)
        this.#buckets.delete(this.#buckets.keys().next().value as string);
    }
    this.#buckets.set(peer, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.#buckets.size;
  }
}
