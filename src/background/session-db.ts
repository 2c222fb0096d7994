/**
 * The signing protocol's durable state in IndexedDB: session transcripts (public, signed
 * envelopes) and nonce markers. A marker write resolves only when its transaction commits, so
 * "marker first, then send" holds across a service-worker kill. Secret nonces are never stored.
 *
 * Marker transactions ask for `durability: 'strict'`: by default Chromium commits "relaxed"
 * (reported done before the data is flushed to disk), so after a power cut or an OS crash a
 * marker could be gone although its nonce or partial signature had already left; the restarted
 * wallet would not know that attempt was spent, which is exactly what the marker is for.
 */
import { type IDBPDatabase, openDB } from 'idb';
import type {
  NonceMarker,
  SessionStatus,
  SessionStore,
  StoredSession,
} from '../core/p2p/session-store.ts';

export const SESSION_DB = 'petal-sessions';

const STRICT: IDBTransactionOptions = { durability: 'strict' };

export function openSessionDb(name = SESSION_DB): SessionStore {
  let db: Promise<IDBPDatabase> | undefined;
  const open = () =>
    (db ??= openDB(name, 1, {
      upgrade(database) {
        database.createObjectStore('sessions', { keyPath: 'sessionId' });
        database
          .createObjectStore('markers', { autoIncrement: true })
          .createIndex('session', 'sessionId');
      },
    }));
  return {
    async get(sessionId) {
      return (await (await open()).get('sessions', sessionId)) as StoredSession | undefined;
    },
    async list() {
      return (await (await open()).getAll('sessions')) as StoredSession[];
    },
    async put(record) {
      await (await open()).put('sessions', record);
    },
    async append(sessionId, envelopes, nextSequence) {
      const tx = (await open()).transaction('sessions', 'readwrite');
      const record = (await tx.store.get(sessionId)) as StoredSession | undefined;
      if (record) {
        record.envelopes.push(...envelopes);
        record.nextSequence = Math.max(record.nextSequence, nextSequence);
        await tx.store.put(record);
      }
      await tx.done;
    },
    async finish(sessionId: string, status: SessionStatus, txid?: string) {
      const tx = (await open()).transaction('sessions', 'readwrite');
      const record = (await tx.store.get(sessionId)) as StoredSession | undefined;
      if (record) {
        record.status = status;
        record.envelopes = [];
        if (txid) record.txid = txid;
        await tx.store.put(record);
      }
      await tx.done;
    },
    async delete(sessionId) {
      const tx = (await open()).transaction(['sessions', 'markers'], 'readwrite', STRICT);
      await tx.objectStore('sessions').delete(sessionId);
      const index = tx.objectStore('markers').index('session');
      for (let cursor = await index.openCursor(sessionId); cursor; cursor = await cursor.continue())
        await cursor.delete();
      await tx.done;
    },
    async addNonceMarker(marker: NonceMarker) {
      const tx = (await open()).transaction('markers', 'readwrite', STRICT);
      await tx.store.add({ ...marker });
      await tx.done;
    },
    async nonceMarkers(sessionId) {
      return (await (
        await open()
      ).getAllFromIndex('markers', 'session', sessionId)) as NonceMarker[];
    },
  };
}
