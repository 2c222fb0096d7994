import 'fake-indexeddb/auto';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { SESSION_DB_VERSION, openSessionDb } from '../../src/background/session-db.ts';
import type { StoredSession } from '../../src/core/p2p/session-store.ts';

const dbName = () => `sessions-${bytesToHex(randomBytes(4))}`;
const sessionId = () => bytesToHex(randomBytes(32));

/** Every object-store request the store makes, as "store.operation". */
const OPS = ['get', 'getAll', 'getKey', 'put', 'add', 'delete', 'openCursor', 'count'] as const;
const originals = OPS.map((op) => [op, IDBObjectStore.prototype[op]] as const);
afterEach(() => {
  for (const [op, fn] of originals)
    (IDBObjectStore.prototype as never as Record<string, unknown>)[op] = fn;
});
function watchRequests(): string[] {
  const seen: string[] = [];
  for (const [op, fn] of originals)
    (IDBObjectStore.prototype as never as Record<string, unknown>)[op] = function (
      this: IDBObjectStore,
      ...args: unknown[]
    ) {
      seen.push(`${this.name}.${op}`);
      return (fn as (...a: unknown[]) => unknown).apply(this, args);
    };
  return seen;
}

describe('the background’s IndexedDB session store', () => {
  it('keeps transcripts and nonce markers for a new connection (a restarted worker)', async () => {
    const name = dbName();
    const id = sessionId();
    const first = openSessionDb(name);
    const proposal = randomBytes(100);
    await first.commit({
      sessionId: id,
      open: { vaultId: 'v', expiresAt: 10 },
      envelopes: [proposal],
      nextSequence: 1,
    });
    await first.commit({
      sessionId: id,
      envelopes: [randomBytes(20)],
      nextSequence: 2,
      markers: [{ sessionId: id, attempt: 1, stage: 'issued', at: 1 }],
    });
    await first.commit({ sessionId: id, envelopes: [randomBytes(30)] });
    await first.commit({
      sessionId: id,
      markers: [{ sessionId: id, attempt: 1, stage: 'consumed', at: 2 }],
    });
    await first.commit({ sessionId: id, nextSequence: 4 });

    const reopened = openSessionDb(name);
    const stored = await reopened.get(id);
    expect(stored?.envelopes.map((e) => e.length)).toEqual([100, 20, 30]);
    expect(stored?.envelopes[0]).toEqual(proposal);
    expect(stored).toMatchObject({ vaultId: 'v', status: 'open', expiresAt: 10, nextSequence: 4 });
    expect((await reopened.nonceMarkers(id)).map((m) => m.stage)).toEqual(['issued', 'consumed']);
    expect((await reopened.list()).map((s) => s.sessionId)).toEqual([id]);

    await reopened.commit({
      sessionId: id,
      finish: { status: 'completed', txid: 'cd'.repeat(32) },
    });
    expect(await reopened.get(id)).toMatchObject({
      status: 'completed',
      envelopes: [],
      nextSequence: 4,
      txid: 'cd'.repeat(32),
    });
    // A finished session takes no more envelopes (a late append lands after the finish).
    await reopened.commit({ sessionId: id, envelopes: [randomBytes(5)], nextSequence: 9 });
    expect((await reopened.get(id))?.envelopes).toEqual([]);
    await reopened.delete(id);
    expect(await reopened.get(id)).toBeUndefined();
    expect(await reopened.nonceMarkers(id)).toEqual([]);
    expect(await reopened.list()).toEqual([]);
  });

  it('ignores envelopes for a session it has no record of', async () => {
    const db = openSessionDb(dbName());
    const id = sessionId();
    await db.commit({ sessionId: id, envelopes: [randomBytes(8)], nextSequence: 3 });
    expect(await db.get(id)).toBeUndefined();
    expect(await db.list()).toEqual([]);
  });

  it('stores all of a commit or none of it', async () => {
    const db = openSessionDb(dbName());
    const id = sessionId();
    await db.commit({ sessionId: id, open: { vaultId: 'v', expiresAt: 5 }, nextSequence: 1 });
    // The marker cannot be stored (a function does not clone): the envelope beside it is not either.
    const unstorable = { sessionId: id, attempt: 1, stage: 'issued', at: () => 1 } as never;
    await expect(
      db.commit({
        sessionId: id,
        envelopes: [randomBytes(9)],
        nextSequence: 2,
        markers: [unstorable],
      }),
    ).rejects.toThrow();
    expect(await db.get(id)).toMatchObject({ envelopes: [], nextSequence: 1 });
    expect(await db.nonceMarkers(id)).toEqual([]);
  });

  it('applies commits in call order when nobody awaits them', async () => {
    const db = openSessionDb(dbName());
    const [a, b] = [sessionId(), sessionId()];
    const sent = Array.from({ length: 20 }, (_, i) => Uint8Array.of(i));
    const writes = [
      db.commit({ sessionId: a, open: { vaultId: 'v', expiresAt: 5 }, envelopes: [sent[0]!] }),
      db.commit({ sessionId: b, open: { vaultId: 'w', expiresAt: 6 } }),
      ...sent
        .slice(1)
        .map((e, i) => db.commit({ sessionId: a, envelopes: [e], nextSequence: i + 2 })),
    ];
    // The read is queued behind the writes, like any later transaction.
    const read = await db.get(a);
    expect(read?.envelopes).toEqual(sent);
    expect(read?.nextSequence).toBe(20);
    await Promise.all(writes);
    const listed = await db.list();
    expect(listed.map((s) => s.vaultId).sort()).toEqual(['v', 'w']);
  });

  it('appends without reading or rewriting the envelopes already stored', async () => {
    const db = openSessionDb(dbName());
    const id = sessionId();
    await db.commit({
      sessionId: id,
      open: { vaultId: 'v', expiresAt: 5 },
      envelopes: [randomBytes(200)],
      nextSequence: 1,
    });
    for (let i = 0; i < 30; i++) await db.commit({ sessionId: id, envelopes: [randomBytes(200)] });
    const requests = watchRequests();
    await db.commit({
      sessionId: id,
      envelopes: [randomBytes(200), randomBytes(10)],
      nextSequence: 7,
    });
    // Nothing is read (the commit never waits on its own requests): the two rows are added.
    expect(requests).toEqual(['envelopes.add', 'envelopes.add']);
    const stored = await db.get(id);
    expect(stored?.envelopes).toHaveLength(33);
    expect(stored?.nextSequence).toBe(7);
  });

  it('writes a nonce-marker step without reading and commits it at once', async () => {
    const db = openSessionDb(dbName());
    const id = sessionId();
    await db.commit({ sessionId: id, open: { vaultId: 'v', expiresAt: 5 }, nextSequence: 1 });
    const requests = watchRequests();
    const commit = IDBTransaction.prototype.commit;
    let committed = 0;
    IDBTransaction.prototype.commit = function (this: IDBTransaction) {
      committed++;
      return commit.call(this);
    };
    try {
      await db.commit({
        sessionId: id,
        envelopes: [randomBytes(300)],
        nextSequence: 2,
        markers: [{ sessionId: id, attempt: 1, stage: 'consumed', at: 1 }],
      });
    } finally {
      IDBTransaction.prototype.commit = commit;
    }
    // Every request goes out before the first one succeeds: no hop through this thread.
    expect(requests).toEqual(['envelopes.add', 'markers.add']);
    expect(committed).toBe(1);
    expect(await db.get(id)).toMatchObject({ nextSequence: 2, envelopes: [expect.anything()] });
    expect(await db.nonceMarkers(id)).toHaveLength(1);
  });

  it('loads version-1 databases (whole records) after the upgrade, markers and all', async () => {
    const name = dbName();
    const id = sessionId();
    const ended = sessionId();
    const transcript = [randomBytes(90), randomBytes(40), randomBytes(41)];
    // The version-1 schema and records, as the previous release wrote them.
    const v1 = await openDB(name, 1, {
      upgrade(database) {
        database.createObjectStore('sessions', { keyPath: 'sessionId' });
        database
          .createObjectStore('markers', { autoIncrement: true })
          .createIndex('session', 'sessionId');
      },
    });
    const open: StoredSession = {
      sessionId: id,
      vaultId: 'v',
      status: 'open',
      expiresAt: 99,
      envelopes: transcript,
      nextSequence: 2,
    };
    await v1.put('sessions', open);
    await v1.put('sessions', {
      ...open,
      sessionId: ended,
      status: 'completed',
      envelopes: [],
      txid: 'ab',
    });
    await v1.add('markers', { sessionId: id, attempt: 1, stage: 'issued', at: 3 });
    v1.close();

    const db = openSessionDb(name);
    expect(await db.get(id)).toEqual(open);
    expect(await db.get(ended)).toMatchObject({ status: 'completed', txid: 'ab', envelopes: [] });
    expect(await db.nonceMarkers(id)).toEqual([
      { sessionId: id, attempt: 1, stage: 'issued', at: 3 },
    ]);
    await db.commit({ sessionId: id, envelopes: [randomBytes(7)], nextSequence: 3 });
    expect(await db.get(id)).toMatchObject({
      nextSequence: 3,
      envelopes: [...transcript, expect.anything()],
    });

    const raw = await openDB(name);
    expect(raw.version).toBe(SESSION_DB_VERSION);
    expect([...raw.objectStoreNames].sort()).toEqual(['envelopes', 'headers', 'markers']);
    raw.close();
  });
});
