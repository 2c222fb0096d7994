/**
 * A member's durable storage, and the view one process incarnation has of it. A commit is
 * durable (all of it) the moment it is called, which is when a real store would start applying
 * it in call order; a crash can strike right after any commit is durable and before the
 * member's next step — between storing a nonce marker or an envelope and sending it. After a
 * crash the dead incarnation's calls never complete.
 */
import {
  type NonceMarker,
  type SessionStore,
  type SessionWrite,
  type StoredSession,
  applyWrite,
  isEmptyWrite,
} from '../../src/core/p2p/session-store.ts';

const copy = (r: StoredSession): StoredSession => ({
  ...r,
  envelopes: r.envelopes.map((e) => e.slice()),
});

/** What survives a crash: the same shape as MemorySessionStore, with sizes readable cheaply. */
export class DurableStore {
  readonly sessions = new Map<string, StoredSession>();
  readonly markers = new Map<string, NonceMarker[]>();

  /** Envelopes in the largest stored transcript (the bounded-memory check reads this). */
  largestTranscript(): number {
    let max = 0;
    for (const r of this.sessions.values()) max = Math.max(max, r.envelopes.length);
    return max;
  }
}

export type WriteKind = 'put' | 'append' | 'finish' | 'delete' | 'marker';

export interface IncarnationHooks {
  /** Called after each durable write; may crash the member on the spot. */
  afterWrite(kind: WriteKind): void;
  /**
   * Test-only broken rule: returns true to acknowledge a write and silently lose it (a storage
   * layer that breaks the "durable when resolved" contract).
   */
  loses?(kind: WriteKind, detail: { marker?: NonceMarker; envelopes?: Uint8Array[] }): boolean;
}

const never = <T>() => new Promise<T>(() => undefined);

export class IncarnationStore implements SessionStore {
  readonly #durable: DurableStore;
  readonly #hooks: IncarnationHooks;
  #alive = true;

  constructor(durable: DurableStore, hooks: IncarnationHooks) {
    this.#durable = durable;
    this.#hooks = hooks;
  }

  kill(): void {
    this.#alive = false;
  }

  #write(kind: WriteKind): void {
    this.#hooks.afterWrite(kind);
  }

  async get(sessionId: string): Promise<StoredSession | undefined> {
    if (!this.#alive) return never();
    const r = this.#durable.sessions.get(sessionId);
    return r ? copy(r) : undefined;
  }

  async list(): Promise<StoredSession[]> {
    if (!this.#alive) return never();
    return [...this.#durable.sessions.values()].map(copy);
  }

  /** One step's writes, durable at once; the write is named by the most telling thing in it. */
  async commit(write: SessionWrite): Promise<void> {
    if (!this.#alive) return never();
    if (isEmptyWrite(write)) return;
    const kind: WriteKind = write.markers?.length
      ? 'marker'
      : write.open
        ? 'put'
        : write.finish
          ? 'finish'
          : 'append';
    const envelopes = write.envelopes ?? [];
    const kept: SessionWrite = {
      ...write,
      markers: (write.markers ?? []).filter((marker) => !this.#hooks.loses?.('marker', { marker })),
    };
    // A lost append loses its envelopes and the counter they moved.
    if (!write.open && envelopes.length > 0 && this.#hooks.loses?.('append', { envelopes })) {
      delete kept.envelopes;
      delete kept.nextSequence;
    }
    const r = applyWrite(this.#durable.sessions.get(write.sessionId), kept);
    if (r) this.#durable.sessions.set(write.sessionId, r);
    for (const marker of kept.markers ?? []) {
      const list = this.#durable.markers.get(marker.sessionId) ?? [];
      list.push({ ...marker });
      this.#durable.markers.set(marker.sessionId, list);
    }
    this.#write(kind);
  }

  async delete(sessionId: string): Promise<void> {
    if (!this.#alive) return never();
    this.#durable.sessions.delete(sessionId);
    this.#durable.markers.delete(sessionId);
    this.#write('delete');
  }

  async nonceMarkers(sessionId: string): Promise<NonceMarker[]> {
    if (!this.#alive) return never();
    return (this.#durable.markers.get(sessionId) ?? []).map((m) => ({ ...m }));
  }
}
