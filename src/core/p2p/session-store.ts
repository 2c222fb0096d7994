/**
 * Durable session state. Everything stored is public (signed envelopes, statuses) except the
 * nonce markers, which are not secret either: they only record *that* a nonce was issued or
 * consumed. Secret nonces are never stored anywhere (SecretNonce refuses to be serialised).
 *
 * The extension implements this over IndexedDB; `MemorySessionStore` serves tests and Node.
 * Every method must be durable when its promise resolves: the protocol writes a marker and only
 * then lets a nonce or a partial signature leave the device.
 */
export type SessionStatus = 'open' | 'completed' | 'aborted' | 'expired' | 'failed';

export const TERMINAL: ReadonlySet<SessionStatus> = new Set([
  'completed',
  'aborted',
  'expired',
  'failed',
]);

export interface StoredSession {
  sessionId: string;
  vaultId: string;
  status: SessionStatus;
  /** The proposal's expiry (ms); the record is deleted after it. */
  expiresAt: number;
  /** The public transcript, in order: every envelope accepted or sent (wire bytes). */
  envelopes: Uint8Array[];
  /** The next sequence number this member will use in the session. */
  nextSequence: number;
  txid?: string;
}

export type NonceStage = 'issued' | 'consumed';

export interface NonceMarker {
  sessionId: string;
  attempt: number;
  /** issued: public nonces generated and about to leave; consumed: a partial signature may leave. */
  stage: NonceStage;
  at: number;
}

export interface SessionStore {
  get(sessionId: string): Promise<StoredSession | undefined>;
  list(): Promise<StoredSession[]>;
  /** Creates or replaces a record. */
  put(record: StoredSession): Promise<void>;
  /** Appends envelopes to a record's transcript and moves its sequence counter forward. */
  append(sessionId: string, envelopes: Uint8Array[], nextSequence: number): Promise<void>;
  /** Marks a session finished: the transcript is dropped, a tombstone stays until expiry. */
  finish(sessionId: string, status: SessionStatus, txid?: string): Promise<void>;
  /** Deletes a record and its nonce markers. */
  delete(sessionId: string): Promise<void>;
  addNonceMarker(marker: NonceMarker): Promise<void>;
  nonceMarkers(sessionId: string): Promise<NonceMarker[]>;
}

const copy = (r: StoredSession): StoredSession => ({
  ...r,
  envelopes: r.envelopes.map((e) => e.slice()),
});

/** An in-memory store that copies on the way in and out, like a real database would. */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, StoredSession>();
  readonly #markers = new Map<string, NonceMarker[]>();

  async get(sessionId: string): Promise<StoredSession | undefined> {
    const r = this.#sessions.get(sessionId);
    return r ? copy(r) : undefined;
  }

  async list(): Promise<StoredSession[]> {
    return [...this.#sessions.values()].map(copy);
  }

  async put(record: StoredSession): Promise<void> {
    this.#sessions.set(record.sessionId, copy(record));
  }

  async append(sessionId: string, envelopes: Uint8Array[], nextSequence: number): Promise<void> {
    const r = this.#sessions.get(sessionId);
    if (!r) return;
    for (const e of envelopes) r.envelopes.push(e.slice());
    r.nextSequence = Math.max(r.nextSequence, nextSequence);
  }

  async finish(sessionId: string, status: SessionStatus, txid?: string): Promise<void> {
    const r = this.#sessions.get(sessionId);
    if (!r) return;
    r.status = status;
    r.envelopes = [];
    if (txid) r.txid = txid;
  }

  async delete(sessionId: string): Promise<void> {
    this.#sessions.delete(sessionId);
    this.#markers.delete(sessionId);
  }

  async addNonceMarker(marker: NonceMarker): Promise<void> {
    const list = this.#markers.get(marker.sessionId) ?? [];
    list.push({ ...marker });
    this.#markers.set(marker.sessionId, list);
  }

  async nonceMarkers(sessionId: string): Promise<NonceMarker[]> {
    return (this.#markers.get(sessionId) ?? []).map((m) => ({ ...m }));
  }

  /** Record and marker counts, for tests that check nothing is left behind. */
  get size(): { sessions: number; markers: number } {
    return { sessions: this.#sessions.size, markers: this.#markers.size };
  }
}
