/**
 * A score per transport peer, fed by protocol outcomes: invalid frames and signatures, floods,
 * proven misbehaviour (invalid partial signatures, equivocation), false accusations and timeouts
 * cost points; valid messages earn a little back. At the threshold the peer is banned for a while
 * (doubling on every repeat, capped), and everything it sends is dropped before it is parsed.
 * The table is bounded and evicts peers in good standing first, so fresh identities cannot grow
 * memory or flush the ban list.
 */
export type Offence =
  | 'bad-frame'
  | 'bad-signature'
  | 'non-member'
  | 'unbound-peer'
  | 'spam'
  | 'oversize'
  | 'invalid-proposal'
  | 'over-budget'
  | 'invalid-partial-sig'
  | 'equivocation'
  | 'bad-reveal'
  | 'false-blame'
  | 'timeout';

export const PENALTIES: Readonly<Record<Offence, number>> = {
  'bad-frame': 10,
  'bad-signature': 25,
  'non-member': 25,
  'unbound-peer': 10,
  spam: 5,
  oversize: 25,
  'invalid-proposal': 20,
  // A proposal past the open-session limits, an overflow of the early buffer's byte budget, or an
  // early envelope repeated past its copies: ten in a row reach the ban threshold.
  'over-budget': 10,
  'invalid-partial-sig': 60,
  equivocation: 100,
  'bad-reveal': 60,
  'false-blame': 40,
  timeout: 5,
};

export interface ReputationOptions {
  banThreshold?: number;
  banMs?: number;
  maxBanMs?: number;
  maxScore?: number;
  maxPeers?: number;
  now?: () => number;
}

interface Standing {
  score: number;
  bans: number;
  bannedUntil: number;
}

export class Reputation {
  readonly #peers = new Map<string, Standing>();
  readonly #threshold: number;
  readonly #banMs: number;
  readonly #maxBanMs: number;
  readonly #maxScore: number;
  readonly #maxPeers: number;
  readonly #now: () => number;

  constructor(options: ReputationOptions = {}) {
    this.#threshold = options.banThreshold ?? -100;
    this.#banMs = options.banMs ?? 10 * 60_000;
    this.#maxBanMs = options.maxBanMs ?? 24 * 3600_000;
    this.#maxScore = options.maxScore ?? 20;
    this.#maxPeers = options.maxPeers ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  #get(peer: string): Standing {
    let s = this.#peers.get(peer);
    if (s) {
      this.#peers.delete(peer); // re-insert: Map order is LRU order
    } else {
      s = { score: 0, bans: 0, bannedUntil: 0 };
      if (this.#peers.size >= this.#maxPeers) this.#evict();
    }
    this.#peers.set(peer, s);
    return s;
  }

  #evict(): void {
    const now = this.#now();
    for (const [peer, s] of this.#peers) {
      if (s.bannedUntil <= now) {
        this.#peers.delete(peer);
        return;
      }
    }
    this.#peers.delete(this.#peers.keys().next().value as string);
  }

  /** Records an offence; returns true if this offence got the peer banned. */
  penalize(peer: string, offence: Offence): boolean {
    const s = this.#get(peer);
    s.score -= PENALTIES[offence];
    if (s.score > this.#threshold || s.bannedUntil > this.#now()) return false;
    s.bans += 1;
    s.bannedUntil = this.#now() + Math.min(this.#maxBanMs, this.#banMs * 2 ** (s.bans - 1));
    // After the ban the peer starts halfway to the threshold: a repeat offender is banned sooner.
    s.score = Math.round(this.#threshold / 2);
    return true;
  }

  reward(peer: string, points = 1): void {
    const s = this.#peers.get(peer);
    if (!s) return;
    s.score = Math.min(this.#maxScore, s.score + points);
  }

  isBanned(peer: string): boolean {
    const s = this.#peers.get(peer);
    return !!s && s.bannedUntil > this.#now();
  }

  score(peer: string): number {
    return this.#peers.get(peer)?.score ?? 0;
  }

  /** Forgets peers with no ban and a neutral score (called by the service's sweep). */
  prune(): void {
    const now = this.#now();
    for (const [peer, s] of this.#peers)
      if (s.bannedUntil <= now && s.score >= 0 && s.bans === 0) this.#peers.delete(peer);
  }

  get size(): number {
    return this.#peers.size;
  }
}
