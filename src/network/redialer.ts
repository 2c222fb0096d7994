import type { Multiaddr } from '@multiformats/multiaddr';
import type { Libp2p, PeerId } from '@libp2p/interface';

export interface RedialOptions {
  firstDelayMs?: number;
  factor?: number;
  maxDelayMs?: number;
}

/**
 * Redials peers that must stay connected (relays; members of a live session) whenever the link
 * drops, with exponential backoff and no give-up while they are watched. libp2p's own reconnect
 * queue is not enough: it retries through p-retry, which treats the TypeError that Node's
 * WebSocket raises on a refused connection as fatal, so a relay restart ends its retries at once.
 */
export class Redialer {
  readonly #node: Libp2p;
  readonly #watched = new Map<string, { peer: PeerId; addrs: Multiaddr[]; owners: Set<string> }>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #first: number;
  readonly #factor: number;
  readonly #max: number;
  readonly #onDisconnect = (event: CustomEvent<PeerId>) =>
    this.#schedule(event.detail.toString(), this.#first);

  constructor(node: Libp2p, options: RedialOptions = {}) {
    this.#node = node;
    this.#first = options.firstDelayMs ?? 1000;
    this.#factor = options.factor ?? 1.5;
    this.#max = options.maxDelayMs ?? 30_000;
    node.addEventListener('peer:disconnect', this.#onDisconnect);
  }

  /** Keep `peer` connected on behalf of `owner` (e.g. 'relay' or a session id). */
  watch(owner: string, peer: PeerId, addrs: Multiaddr[] = []): void {
    const key = peer.toString();
    const entry = this.#watched.get(key) ?? { peer, addrs, owners: new Set<string>() };
    entry.owners.add(owner);
    if (addrs.length > 0) entry.addrs = addrs;
    this.#watched.set(key, entry);
  }

  /** Stop keeping peers connected for `owner`; peers nobody else watches are let go. */
  release(owner: string): void {
    for (const [key, entry] of this.#watched) {
      entry.owners.delete(owner);
      if (entry.owners.size === 0) {
        this.#watched.delete(key);
        clearTimeout(this.#timers.get(key));
        this.#timers.delete(key);
      }
    }
  }

  stop(): void {
    this.#node.removeEventListener('peer:disconnect', this.#onDisconnect);
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#watched.clear();
  }

  get size(): number {
    return this.#watched.size;
  }

  #schedule(key: string, delay: number): void {
    if (!this.#watched.has(key) || this.#timers.has(key)) return;
    const timer = setTimeout(async () => {
      this.#timers.delete(key);
      const entry = this.#watched.get(key);
      if (!entry || this.#node.getConnections(entry.peer).length > 0) return;
      try {
        await this.#node.dial(entry.addrs.length > 0 ? entry.addrs : entry.peer);
      } catch {
        this.#schedule(key, Math.min(delay * this.#factor, this.#max));
      }
    }, delay);
    this.#timers.set(key, timer);
  }
}
