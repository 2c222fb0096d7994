import 'fake-indexeddb/auto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { openSessionDb } from '../../src/background/session-db.ts';
import { FileSessionStore } from '../../src/cosigner/file-session-store.ts';
import {
  MemorySessionStore,
  type SessionStore,
  type SessionWrite,
} from '../../src/core/p2p/session-store.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const stores: [string, () => Promise<SessionStore>][] = [
  ['memory', async () => new MemorySessionStore()],
  ['IndexedDB', async () => openSessionDb(`contract-${bytesToHex(randomBytes(4))}`)],
  [
    'file (cosigner)',
    async () => new FileSessionStore((dir = await mkdtemp(join(tmpdir(), 'petal-contract-')))),
  ],
];

/** A session's life as one member's steps write it, some commits not awaited. */
function writes(id: string, other: string): SessionWrite[] {
  const env = (n: number) => Uint8Array.of(n, n, n);
  const marker = (stage: 'issued' | 'consumed') => ({ sessionId: id, attempt: 1, stage, at: 7 });
  return [
    { sessionId: id, open: { vaultId: 'v', expiresAt: 50 }, envelopes: [env(0)], nextSequence: 1 },
    { sessionId: other, open: { vaultId: 'w', expiresAt: 60 }, envelopes: [env(9)] },
    { sessionId: id, envelopes: [env(1)] },
    { sessionId: id, envelopes: [env(2)], nextSequence: 2, markers: [marker('issued')] },
    { sessionId: id, envelopes: [env(3), env(4)] },
    { sessionId: id, envelopes: [env(5)], nextSequence: 3, markers: [marker('consumed')] },
    { sessionId: other, finish: { status: 'aborted' } },
    { sessionId: other, envelopes: [env(8)], nextSequence: 5 },
  ];
}

describe.each(stores)('the %s session store keeps the SessionStore contract', (_, make) => {
  it('applies commits in call order, awaited or not, and reads them back', async () => {
    const store = await make();
    const [id, other] = [bytesToHex(randomBytes(32)), bytesToHex(randomBytes(32))];
    const pending = writes(id, other).map((w) => store.commit(w));
    expect(await store.get(id)).toEqual({
      sessionId: id,
      vaultId: 'v',
      status: 'open',
      expiresAt: 50,
      nextSequence: 3,
      envelopes: [0, 1, 2, 3, 4, 5].map((n) => Uint8Array.of(n, n, n)),
    });
    await Promise.all(pending);
    expect(await store.get(other)).toMatchObject({ status: 'aborted', envelopes: [] });
    expect((await store.nonceMarkers(id)).map((m) => m.stage)).toEqual(['issued', 'consumed']);
    expect((await store.list()).map((s) => s.sessionId).sort()).toEqual([id, other].sort());
    await store.delete(id);
    expect(await store.get(id)).toBeUndefined();
    expect(await store.nonceMarkers(id)).toEqual([]);
    expect((await store.list()).map((s) => s.sessionId)).toEqual([other]);
  });

  it('ignores envelopes outside an open record but keeps the counter moving', async () => {
    const store = await make();
    const id = bytesToHex(randomBytes(32));
    const env = (n: number) => Uint8Array.of(n);
    // Before the record exists: nothing, and a later open starts empty.
    await store.commit({ sessionId: id, envelopes: [env(1)], nextSequence: 4 });
    expect(await store.get(id)).toBeUndefined();
    await store.commit({ sessionId: id, open: { vaultId: 'v', expiresAt: 9 } });
    expect(await store.get(id)).toMatchObject({ envelopes: [], nextSequence: 0 });
    await store.commit({ sessionId: id, nextSequence: 2 });
    await store.commit({ sessionId: id, envelopes: [env(2)] });
    expect(await store.get(id)).toMatchObject({ envelopes: [env(2)], nextSequence: 2 });
    // After the end: late envelopes are dropped, the counter still never moves back.
    await store.commit({ sessionId: id, finish: { status: 'failed' } });
    await store.commit({ sessionId: id, envelopes: [env(3)], nextSequence: 6 });
    expect(await store.get(id)).toMatchObject({ status: 'failed', envelopes: [], nextSequence: 6 });
    await store.commit({ sessionId: id, finish: { status: 'expired' } });
    expect(await store.get(id)).toMatchObject({
      status: 'expired',
      envelopes: [],
      nextSequence: 6,
    });
    // Opening the id again replaces the record.
    await store.commit({ sessionId: id, open: { vaultId: 'w', expiresAt: 9 } });
    expect(await store.get(id)).toMatchObject({ vaultId: 'w', envelopes: [], nextSequence: 0 });
  });
});
