import type { Libp2p } from '@libp2p/interface';
import { reservedRelays } from './peer-node.ts';

/** Records kept for republishing at most (a member writes one mailbox record per vault). */
export const MAX_KEPT_RECORDS = 256;
/** Relays drop entries 48 h after a write (record-quota.ts); a republish every hour keeps ahead. */
export const REPUBLISH_INTERVAL_MS = 3600_000;
/** A change of relays is acted on once it has settled (reservations come and go in bursts). */
const SETTLE_MS = 2_000;

export type PutRecord = (
  id: string,
  payload: Uint8Array,
  expiresAt: number,
  signal?: AbortSignal,
) => Promise<void>;

interface Kept {
  payload: Uint8Array;
  expiresAt: number;
}

/**
 * Republishes the DHT records this node wrote. Records live on the k relays closest to their
 * key, and only their author puts them there: a relay copying another peer's record would be
 * charged for it at the next relay (quotas are per putter, record-quota.ts), or would have to be
 * believed about who wrote it. So the author puts its latest copy again when its relays change
 * (one went away, or it reserved on a new one: the closest k may now be others) and every hour.
 */
export class RecordRepublisher {
  readonly #node: Pick<Libp2p, 'getMultiaddrs' | 'addEventListener' | 'removeEventListener'>;
  readonly #put: PutRecord;
  readonly #kept = new Map<string, Kept>();
  /** One put per record at a time, so an older copy never lands after a newer one. */
  readonly #queues = new Map<string, Promise<void>>();
  readonly #intervalMs: number;
  #relays = '';
  #settle: ReturnType<typeof setTimeout> | undefined;
  #interval: ReturnType<typeof setInterval> | undefined;
  readonly #onSelfUpdate = () => {
    const relays = reservedRelays(this.#node).sort().join(',');
    if (relays === this.#relays) return;
    this.#relays = relays;
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => void this.republish(), SETTLE_MS);
  };

  constructor(
    node: Pick<Libp2p, 'getMultiaddrs' | 'addEventListener' | 'removeEventListener'>,
    put: PutRecord,
    options: { intervalMs?: number } = {},
  ) {
    this.#node = node;
    this.#put = put;
    this.#intervalMs = options.intervalMs ?? REPUBLISH_INTERVAL_MS;
  }

  start(): void {
    this.#relays = reservedRelays(this.#node).sort().join(',');
    this.#node.addEventListener('self:peer:update', this.#onSelfUpdate);
    this.#interval = setInterval(() => void this.republish(), this.#intervalMs);
  }

  stop(): void {
    this.#node.removeEventListener('self:peer:update', this.#onSelfUpdate);
    clearTimeout(this.#settle);
    clearInterval(this.#interval);
    this.#kept.clear();
  }

  /** Puts a record this node wrote, and keeps its latest copy to put again. */
  publish(id: string, payload: Uint8Array, expiresAt: number, signal?: AbortSignal): Promise<void> {
    this.#kept.delete(id); // re-inserted last: the oldest record is the first to be let go
    this.#kept.set(id, { payload, expiresAt });
    for (const old of this.#kept.keys()) {
      if (this.#kept.size <= MAX_KEPT_RECORDS) break;
      this.#kept.delete(old);
    }
    return this.#enqueue(id, () => this.#put(id, payload, expiresAt, signal));
  }

  /** Records being republished. */
  get size(): number {
    return this.#kept.size;
  }

  /** Puts every unexpired kept record again; failures wait for the next change or round. */
  async republish(): Promise<void> {
    await Promise.all(
      [...this.#kept.keys()].map((id) =>
        this.#enqueue(id, async () => {
          // The copy kept when the put's turn comes: a newer publish may have replaced it.
          const kept = this.#kept.get(id);
          if (!kept) return;
          if (kept.expiresAt <= Date.now()) {
            this.#kept.delete(id);
            return;
          }
          await this.#put(id, kept.payload, kept.expiresAt);
        }).catch(() => undefined),
      ),
    );
  }

  #enqueue(id: string, put: () => Promise<void>): Promise<void> {
    const previous = this.#queues.get(id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(put);
    const tail = next.catch(() => undefined);
    this.#queues.set(id, tail);
    void tail.then(() => {
      if (this.#queues.get(id) === tail) this.#queues.delete(id);
    });
    return next;
  }
}
