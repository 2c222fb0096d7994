/**
 * The signing protocol's durable state in IndexedDB: session transcripts (public, signed
 * envelopes) and nonce markers. Secret nonces are never stored.
 *
 * Layout (version 2): `headers` holds one small record per session (status, expiry, sequence
 * counter); `envelopes` holds the transcript one row per envelope under an increasing key, so an
 * append adds rows and never reads or rewrites the ones already there; `markers` holds the nonce
 * markers. One `commit` (one protocol step) is one transaction.
 *
 * Appends are blind: a step that adds envelopes, moves the sequence counter or stores markers
 * issues all its requests at once, without reading anything, and commits the transaction
 * straight away. A read-then-write needs this thread between requests, and in a round the
 * service worker is busy verifying and signing, so every such hop waits for a task to end
 * (bench/session-commit.bench.ts). Rows are therefore written whatever the session's state, and
 * reads apply the rules: a transcript shows only while its header says 'open' (`open` and
 * `finish` drop the rows before them), a counter-only step is a row without bytes, and the
 * counter is the highest any row or the header carries. Rows of a session with no header are
 * invisible and go with `delete` or the next `open` of that id.
 *
 * Durability: a commit carrying nonce markers asks for `durability: 'strict'` and resolves only
 * once the transaction is flushed: by default Chromium commits "relaxed" (done before the data
 * reaches the disk), so after a power cut or an OS crash a marker could be gone although its
 * nonce or partial signature had already left; the restarted wallet would not know that attempt
 * was spent, which is exactly what the marker is for. Other commits are 'relaxed': a killed
 * worker or browser keeps them (the OS has them); only a power cut can lose the last few.
 */
import { type IDBPDatabase, type IDBPTransaction, openDB, unwrap } from 'idb';
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

/**
 * One transcript row: an envelope, and `next`, the sequence counter after it when its write
 * moved it. A step that only moves the counter writes a row without `bytes`.
 */
interface EnvelopeRow {
  sessionId: string;
  bytes?: Uint8Array;
  next?: number;
}

const STRICT: IDBTransactionOptions = { durability: 'strict' };
const RELAXED: IDBTransactionOptions = { durability: 'relaxed' };
const ALL_STORES = ['headers', 'envelopes', 'markers'];

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

function result<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((ok, fail) => {
    req.onsuccess = () => ok(req.result);
    req.onerror = () => fail(req.error);
  });
}

/** Resolves when the transaction has committed (flushed, if it was opened 'strict'). */
function completion(tx: IDBTransaction): Promise<void> {
  return new Promise((ok, fail) => {
    tx.oncomplete = () => ok();
    tx.onabort = () => fail(tx.error ?? new DOMException('Transaction aborted', 'AbortError'));
  });
}

/** The counter a session's rows carry (0 if none). */
const highestNext = (rows: EnvelopeRow[]) => rows.reduce((n, r) => Math.max(n, r.next ?? 0), 0);

/** Adds the write's envelopes (the counter riding on the last) or a counter-only row. */
function appendRows(rows: IDBObjectStore, write: SessionWrite): void {
  const { sessionId, nextSequence } = write;
  const envelopes = write.envelopes ?? [];
  const next = nextSequence === undefined ? {} : { next: nextSequence };
  envelopes.forEach((bytes, i) =>
    rows.add({ sessionId, bytes, ...(i === envelopes.length - 1 ? next : {}) }),
  );
  if (envelopes.length === 0 && nextSequence !== undefined) rows.add({ sessionId, ...next });
}

/** `open` and `finish` rewrite the header and drop the rows before them: one read, then writes. */
async function rewriteHeader(tx: IDBTransaction, write: SessionWrite): Promise<void> {
  const { sessionId, open, finish } = write;
  const headers = tx.objectStore('headers');
  const rows = tx.objectStore('envelopes');
  const index = rows.index('session');
  const [stored, before, keys] = await Promise.all([
    open ? undefined : (result(headers.get(sessionId)) as Promise<Header | undefined>),
    open ? [] : (result(index.getAll(sessionId)) as Promise<EnvelopeRow[]>),
    result(index.getAllKeys(sessionId)),
  ]);
  let header = open ? { sessionId, status: 'open' as const, nextSequence: 0, ...open } : stored;
  if (!header) return; // nothing to finish
  for (const key of keys) rows.delete(key);
  if (!finish) {
    headers.put(header);
    appendRows(rows, write);
    return;
  }
  // The transcript goes (this write's envelopes with it); the counter it carried stays.
  header = {
    ...header,
    status: finish.status,
    nextSequence: Math.max(header.nextSequence, highestNext(before), write.nextSequence ?? 0),
    ...(finish.txid ? { txid: finish.txid } : {}),
  };
  headers.put(header);
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
        // Rows written after the session ended are not part of it (appends are blind).
        const envelopes =
          header.status === 'open'
            ? rows.flatMap((r) => (r.bytes === undefined ? [] : [r.bytes]))
            : [];
        const nextSequence = Math.max(header.nextSequence, highestNext(rows));
        return { ...header, nextSequence, envelopes };
      }),
    );
    await tx.done;
    return sessions;
  }

  async function commit(write: SessionWrite): Promise<void> {
    if (isEmptyWrite(write)) return;
    const options = write.markers?.length ? STRICT : RELAXED;
    // Every store, so commits queue behind each other in call order (IndexedDB runs
    // overlapping read-write transactions in the order they were created).
    const tx = unwrap(await open()).transaction(ALL_STORES, 'readwrite', options);
    const done = completion(tx);
    try {
      if (write.open || write.finish) await rewriteHeader(tx, write);
      else appendRows(tx.objectStore('envelopes'), write);
      for (const marker of write.markers ?? []) tx.objectStore('markers').add({ ...marker });
      // Commit now rather than when this thread next gets to see the last request succeed.
      tx.commit?.();
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
      const tx = unwrap(await open()).transaction(ALL_STORES, 'readwrite', STRICT);
      const done = completion(tx);
      const rows = tx.objectStore('envelopes');
      const markers = tx.objectStore('markers');
      tx.objectStore('headers').delete(sessionId);
      try {
        const [rowKeys, markerKeys] = await Promise.all([
          result(rows.index('session').getAllKeys(sessionId)),
          result(markers.index('session').getAllKeys(sessionId)),
        ]);
        for (const key of rowKeys) rows.delete(key);
        for (const key of markerKeys) markers.delete(key);
        tx.commit?.();
      } catch (err) {
        done.catch(() => undefined); // the failed request aborted the transaction
        throw err;
      }
      await done;
    },
    async nonceMarkers(sessionId) {
      return (await (await open()).getAllFromIndex('markers', 'session', sessionId)) as never;
    },
  };
}
