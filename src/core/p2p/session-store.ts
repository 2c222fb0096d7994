/**
 * Durable session state. Everything stored is public (signed envelopes, statuses) except the
 * nonce markers, which are not secret either: they only record *that* a nonce was issued or
 * consumed. Secret nonces are never stored anywhere (SecretNonce refuses to be serialised).
 *
 * The extension implements this over IndexedDB; `MemorySessionStore` serves tests and Node.
 * All of one protocol step's writes to a session go in one `commit`, applied atomically.
 * Commits apply in the order they were called, whether or not the caller awaits them, so a
 * caller may leave a write it does not need to wait for (a received frame) in flight. A commit
 * is on disk when its promise resolves; one carrying nonce markers is flushed all the way
 * (the protocol writes a marker and only then lets a nonce or a partial signature leave).
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
  /** The session's transaction id, once it ended (on chain only if `status` is completed). */
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

/** One protocol step's writes to one session: applied all or nothing, in this order. */
export interface SessionWrite {
  sessionId: string;
  /** Opens (or replaces) the session's record, empty and 'open', before anything below. */
  open?: { vaultId: string; expiresAt: number };
  /** Envelopes added to the end of the transcript, in order (only to an open record). */
  envelopes?: Uint8Array[];
  /** The sequence counter after this write; it never moves back. */
  nextSequence?: number;
  /** Nonce markers; a write carrying any is flushed to disk before it resolves. */
  markers?: NonceMarker[];
  /** Ends the session: the transcript is dropped, the record stays as a tombstone until expiry. */
  finish?: { status: SessionStatus; txid?: string };
}

export interface SessionStore {
  get(sessionId: string): Promise<StoredSession | undefined>;
  list(): Promise<StoredSession[]>;
  /** Applies one step's writes atomically, after every commit called before it. */
  commit(write: SessionWrite): Promise<void>;
  /** Deletes a record and its nonce markers. */
  delete(sessionId: string): Promise<void>;
  nonceMarkers(sessionId: string): Promise<NonceMarker[]>;
}

/** Whether a write has anything to do. */
export function isEmptyWrite(write: SessionWrite): boolean {
  return (
    !write.open &&
    !write.envelopes?.length &&
    write.nextSequence === undefined &&
    !write.markers?.length &&
    !write.finish
  );
}

/**
 * A write applied to a session held in memory (the record is changed in place, envelopes
 * copied); returns the record after it. Stores that keep whole records share this rule.
 */
export function applyWrite(
  record: StoredSession | undefined,
  write: SessionWrite,
): StoredSession | undefined {
  let r = record;
  if (write.open)
    r = {
      sessionId: write.sessionId,
      vaultId: write.open.vaultId,
      status: 'open',
      expiresAt: write.open.expiresAt,
      envelopes: [],
      nextSequence: 0,
    };
  if (!r) return undefined;
  if (r.status === 'open') for (const e of write.envelopes ?? []) r.envelopes.push(e.slice());
  if (write.nextSequence !== undefined)
    r.nextSequence = Math.max(r.nextSequence, write.nextSequence);
  if (write.finish) {
    r.status = write.finish.status;
    r.envelopes = [];
    if (write.finish.txid) r.txid = write.finish.txid;
  }
  return r;
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

  async commit(write: SessionWrite): Promise<void> {
    const r = applyWrite(this.#sessions.get(write.sessionId), write);
    if (r) this.#sessions.set(write.sessionId, r);
    if (write.markers?.length) {
      for (const m of write.markers) {
        const list = this.#markers.get(m.sessionId) ?? [];
        list.push({ ...m });
        this.#markers.set(m.sessionId, list);
      }
    }
  }

  async delete(sessionId: string): Promise<void> {
    this.#sessions.delete(sessionId);
    this.#markers.delete(sessionId);
  }

  async nonceMarkers(sessionId: string): Promise<NonceMarker[]> {
    return (this.#markers.get(sessionId) ?? []).map((m) => ({ ...m }));
  }

  /** Record and marker counts, for tests that check nothing is left behind. */
  get size(): { sessions: number; markers: number } {
    return { sessions: this.#sessions.size, markers: this.#markers.size };
  }
}
