/**
 * Messages for sessions this member does not know yet (their proposal is still on its way) wait
 * here, verified but not handled (docs/PROTOCOL.md §6.9). Everything about the buffer is bounded,
 * because its senders are not yet accountable to any session:
 *
 * - only the envelope bytes are kept (decoded again when the session arrives), so what the
 *   accounting counts is what memory holds;
 * - per sender and in total, a byte budget; over it the oldest messages go first, and a sender
 *   that overflows its own budget is reported so the service can penalise it;
 * - an envelope is kept once per (session, signer, sequence): the replay guard of a session that
 *   does not exist yet. Copies beyond `copies` (gossip, direct and a few delivery retries over a
 *   lossy link are normal) are a replay flood and are reported too;
 * - sessions and messages per session are capped by count, and entries expire (the service's
 *   sweep calls `expire`).
 */

/** Budgets of the early buffer (defaults: `DEFAULT_EARLY_LIMITS`). */
export interface EarlyLimits {
  /** Unknown sessions buffered at once; the oldest is dropped for a new one. */
  sessions: number;
  /** Messages per unknown session; more are dropped (n members × 4 messages fits n = 100). */
  perSession: number;
  /** Envelope bytes one transport peer may hold in the buffer; over it, its oldest go. */
  perPeerBytes: number;
  /** Envelope bytes held in all; over it, the oldest messages go, whoever sent them. */
  totalBytes: number;
  /** Copies of one buffered envelope (from any peer) before each further copy is a flood. */
  copies: number;
}

export const DEFAULT_EARLY_LIMITS: Readonly<EarlyLimits> = {
  sessions: 256,
  perSession: 400,
  perPeerBytes: 1024 * 1024,
  totalBytes: 8 * 1024 * 1024,
  copies: 8,
};

/** A verified envelope for an unknown session. */
export interface EarlyMessage {
  bytes: Uint8Array;
  /** The authenticated transport peer; absent for a message read from a mailbox record. */
  from?: string;
  signer: number;
  sequence: number;
}

/**
 * What became of a message: `kept`, `duplicate` (already held; dropped), `full` (its session
 * holds `perSession` messages; dropped), or `flood` — the sender went over its byte budget (its
 * oldest messages were dropped) or repeated an envelope more than `copies` times: penalise it.
 */
export type EarlyVerdict = 'kept' | 'duplicate' | 'full' | 'flood';

interface Item extends EarlyMessage {
  sessionId: string;
  key: string;
  copies: number;
  gone: boolean;
}

interface Entry {
  at: number;
  /** In arrival order, keyed by signer and sequence. */
  items: Map<string, Item>;
}

/** Messages without a transport peer (mailbox reads) share one budget. */
const NO_PEER = '';

export class EarlyBuffer {
  readonly #limits: EarlyLimits;
  readonly #now: () => number;
  /** Sessions in arrival order of their first message. */
  readonly #entries = new Map<string, Entry>();
  /** Per peer: bytes held and its messages, oldest first (removed ones are skipped lazily). */
  readonly #peers = new Map<string, { bytes: number; live: number; queue: Item[] }>();
  #bytes = 0;

  constructor(limits: Partial<EarlyLimits> = {}, now: () => number = Date.now) {
    this.#limits = { ...DEFAULT_EARLY_LIMITS, ...limits };
    this.#now = now;
  }

  /** Buffers a message for `sessionId`, dropping the oldest where a budget demands it. */
  add(sessionId: string, message: EarlyMessage): EarlyVerdict {
    let entry = this.#entries.get(sessionId);
    const key = `${message.signer}:${message.sequence}`;
    const held = entry?.items.get(key);
    if (held) {
      if (message.from === undefined) return 'duplicate';
      held.copies += 1;
      return held.copies > this.#limits.copies ? 'flood' : 'duplicate';
    }
    if (!entry) {
      if (this.#entries.size >= this.#limits.sessions) {
        const oldest = this.#entries.keys().next().value as string;
        this.#dropSession(oldest);
      }
      entry = { at: this.#now(), items: new Map() };
      this.#entries.set(sessionId, entry);
    }
    if (entry.items.size >= this.#limits.perSession) return 'full';
    const item: Item = { ...message, sessionId, key, copies: 1, gone: false };
    entry.items.set(key, item);
    const peerKey = message.from ?? NO_PEER;
    let peer = this.#peers.get(peerKey);
    if (!peer) this.#peers.set(peerKey, (peer = { bytes: 0, live: 0, queue: [] }));
    peer.queue.push(item);
    peer.live += 1;
    peer.bytes += item.bytes.length;
    this.#bytes += item.bytes.length;

    let overflowed = false;
    while (peer.bytes > this.#limits.perPeerBytes) {
      const oldest = peer.queue.shift() as Item;
      if (oldest.gone) continue;
      this.#remove(oldest);
      overflowed = true;
    }
    while (this.#bytes > this.#limits.totalBytes && this.#entries.size > 0) this.#dropOldest();
    return overflowed && message.from !== undefined ? 'flood' : 'kept';
  }

  /** Removes and returns a session's messages in arrival order (its proposal has arrived). */
  take(sessionId: string): EarlyMessage[] {
    const entry = this.#entries.get(sessionId);
    if (!entry) return [];
    const items = [...entry.items.values()];
    this.#dropSession(sessionId);
    return items.map(({ bytes, from, signer, sequence }) => ({
      bytes,
      signer,
      sequence,
      ...(from === undefined ? {} : { from }),
    }));
  }

  /** Drops every session whose first message is older than `maxAgeMs`. */
  expire(maxAgeMs: number): void {
    const now = this.#now();
    for (const [id, entry] of this.#entries) if (now - entry.at > maxAgeMs) this.#dropSession(id);
  }

  clear(): void {
    this.#entries.clear();
    this.#peers.clear();
    this.#bytes = 0;
  }

  /** Unknown sessions with buffered messages. */
  get sessions(): number {
    return this.#entries.size;
  }

  /** Envelope bytes held in all. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Envelope bytes held for `peer` (undefined: messages read from mailbox records). */
  bytesOf(peer: string | undefined): number {
    return this.#peers.get(peer ?? NO_PEER)?.bytes ?? 0;
  }

  #dropSession(sessionId: string): void {
    const entry = this.#entries.get(sessionId);
    if (!entry) return;
    for (const item of [...entry.items.values()]) this.#remove(item);
    this.#entries.delete(sessionId);
  }

  /** The oldest session's oldest message. */
  #dropOldest(): void {
    const first = this.#entries.values().next().value as Entry;
    const item = first.items.values().next().value as Item | undefined;
    if (item) this.#remove(item);
    else this.#entries.delete(this.#entries.keys().next().value as string);
  }

  #remove(item: Item): void {
    if (item.gone) return;
    item.gone = true;
    const entry = this.#entries.get(item.sessionId);
    entry?.items.delete(item.key);
    if (entry && entry.items.size === 0) this.#entries.delete(item.sessionId);
    const peerKey = item.from ?? NO_PEER;
    const peer = this.#peers.get(peerKey);
    this.#bytes -= item.bytes.length;
    if (!peer) return;
    peer.bytes -= item.bytes.length;
    peer.live -= 1;
    if (peer.live === 0) this.#peers.delete(peerKey);
    // Removed items stay in the queue until they reach its head; compact when they dominate.
    else if (peer.queue.length > 64 && peer.queue.length > 4 * peer.live)
      peer.queue = peer.queue.filter((i) => !i.gone);
  }
}
