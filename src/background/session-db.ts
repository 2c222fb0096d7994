/**
 * The signing protocol's durable state in IndexedDB: session transcripts (public, signed
 * envelopes) and nonce markers. Secret nonces are never stored.
 *
 * Layout (version 2): `headers` holds one small record per session (status, expiry, sequence
 * counter); `envelopes` holds the transcript one envelope per row under an increasing key, so an
 * append adds rows and never reads or rewrites the ones already there; `markers` holds the nonce
 * markers. One `commit` (one protocol step) is one transaction.
 *
 * Durability: a commit carrying nonce markers asks for `durability: 'strict'` and resolves only
 * once the transaction is flushed: by default Chromium commits "relaxed" (done before the data
 * reaches the disk), so after a power cut or an OS crash a marker could be gone although its
 * nonce or partial signature had already left; the restarted wallet would not know that attempt
 * was spent, which is exactly what the marker is for. Other commits are 'relaxed': a killed
 * worker or browser keeps them (the OS has them); only a power cut can lose the last few.
 */
import { type IDBPDatabase, type IDBPTransaction, openDB } from 'idb';
import {
  type SessionStore,
  type SessionWrite,
  type StoredSession,
  isEmptyWrite,
} from '../core/p2p/session-store.ts';

export const SESSION_DB = 'petal-sessions';
/** 1: whole records in `sessions`; 2: `headers` + append-only `envelopes`. */
export const SESSION_DB_VERSION = 2;

/** A session's record without its transcript. */
type Header = Omit<StoredSession, 'envelopes'>;

/** One transcript envelope; `next` is the sequence counter after it, when its write moved it. */
interface EnvelopeRow {
  sessionId: string;
  bytes: Uint8Array;
  next?: number;
}

const STRICT: IDBTransactionOptions = { durability: 'strict' };
const RELAXED: IDBTransactionOptions = { durability: 'relaxed' };

type Tx = IDBPTransaction<unknown, ArrayLike<string>, 'readwrite' | 'versionchange'>;

/** Version 1 kept each session as one record; its transcript becomes envelope rows. */
async function migrateWholeRecords(tx: Tx): Promise<void> {
  const old = (await tx.objectStore('sessions').getAll()) as StoredSession[];
  for (const { envelopes, ...header } of old) {
    await tx.objectStore('headers').put(header);
    for (const bytes of envelopes)
      await tx.objectStore('envelopes').add({ sessionId: header.sessionId, bytes });
  }
  tx.db.deleteObjectStore('sessions');
}

/** Deletes a session's envelope rows; returns the highest sequence counter they carried. */
async function deleteTranscript(tx: Tx, sessionId: string): Promise<number> {
  let next = 0;
  const index = tx.objectStore('envelopes').index('session');
  for (let cursor = await index.openCursor(sessionId); cursor; cursor = await cursor.continue()) {
    next = Math.max(next, (cursor.value as EnvelopeRow).next ?? 0);
    await cursor.delete();
  }
  return next;
}

/** Applies one write inside its transaction (in the order SessionWrite gives). */
async function apply(tx: Tx, write: SessionWrite): Promise<void> {
  const { sessionId, nextSequence } = write;
  const envelopes = write.envelopes ?? [];
  const headers = tx.objectStore('headers');
  let header: Header | undefined;
  let changed = false;
  if (write.open) {
    await deleteTranscript(tx, sessionId);
    header = { sessionId, status: 'open', nextSequence: 0, ...write.open };
    changed = true;
  } else if (envelopes.length > 0 || nextSequence !== undefined || write.finish) {
    // The small header only: earlier envelope rows are never read to append.
    header = (await headers.get(sessionId)) as Header | undefined;
  }
  if (header) {
    const rows = tx.objectStore('envelopes');
    for (const [i, bytes] of header.status === 'open' ? envelopes.entries() : []) {
      // The counter rides on the last row, so appending never rewrites the header.
      const last = i === envelopes.length - 1 && nextSequence !== undefined;
      await rows.add({ sessionId, bytes, ...(last ? { next: nextSequence } : {}) });
    }
    if (envelopes.length === 0 && nextSequence !== undefined) {
      header.nextSequence = Math.max(header.nextSequence, nextSequence);
      changed = true;
    }
    if (write.finish) {
      header.status = write.finish.status;
      if (write.finish.txid) header.txid = write.finish.txid;
      header.nextSequence = Math.max(header.nextSequence, await deleteTranscript(tx, sessionId));
      changed = true;
    }
    if (changed) await headers.put(header);
  }
  for (const marker of write.markers ?? []) await tx.objectStore('markers').add({ ...marker });
}

export function openSessionDb(name = SESSION_DB): SessionStore {
  let db: Promise<IDBPDatabase> | undefined;
  const open = () =>
    (db ??= openDB(name, SESSION_DB_VERSION, {
      async upgrade(database, oldVersion, _newVersion, tx) {
        if (oldVersion < 1)
          database
            .createObjectStore('markers', { autoIncrement: true })
            .createIndex('session', 'sessionId');
        database.createObjectStore('headers', { keyPath: 'sessionId' });
        database
          .createObjectStore('envelopes', { autoIncrement: true })
          .createIndex('session', 'sessionId');
        if (oldVersion === 1) await migrateWholeRecords(tx as unknown as Tx);
      },
    }));

  /** One session (or all) with its transcript, read in one transaction. */
  async function withTranscripts(sessionId?: string): Promise<StoredSession[]> {
    const tx = (await open()).transaction(['headers', 'envelopes']);
    const headers = (
      sessionId === undefined
        ? await tx.objectStore('headers').getAll()
        : [await tx.objectStore('headers').get(sessionId)]
    ).filter((h): h is Header => h !== undefined);
    const index = tx.objectStore('envelopes').index('session');
    const sessions = await Promise.all(
      headers.map(async (header) => {
        const rows = (await index.getAll(header.sessionId)) as EnvelopeRow[];
        let nextSequence = header.nextSequence;
        for (const row of rows)
          if (row.next !== undefined) nextSequence = Math.max(nextSequence, row.next);
        return { ...header, nextSequence, envelopes: rows.map((r) => r.bytes) };
      }),
    );
    await tx.done;
    return sessions;
  }

  async function commit(write: SessionWrite): Promise<void> {
    if (isEmptyWrite(write)) return;
    const options = write.markers?.length ? STRICT : RELAXED;
    const tx = (await open()).transaction(
      ['headers', 'envelopes', 'markers'],
      'readwrite',
      options,
    );
    const done = tx.done;
    try {
      await apply(tx as unknown as Tx, write);
    } catch (err) {
      done.catch(() => undefined);
      try {
        tx.abort(); // all or nothing
      } catch {
        // the failed request aborted it already
      }
      throw err;
    }
    await done;
  }

  return {
    async get(sessionId) {
      return (await withTranscripts(sessionId))[0];
    },
    list: () => withTranscripts(),
    commit,
    async delete(sessionId) {
      const tx = (await open()).transaction(
        ['headers', 'envelopes', 'markers'],
        'readwrite',
        STRICT,
      );
      await tx.objectStore('headers').delete(sessionId);
      await deleteTranscript(tx as unknown as Tx, sessionId);
      const index = tx.objectStore('markers').index('session');
      for (let cursor = await index.openCursor(sessionId); cursor; cursor = await cursor.continue())
        await cursor.delete();
      await tx.done;
    },
    async nonceMarkers(sessionId) {
      return (await (await open()).getAllFromIndex('markers', 'session', sessionId)) as never;
    },
  };
}
