import 'fake-indexeddb/auto';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { openSessionDb } from '../../src/background/session-db.ts';

describe('the background’s IndexedDB session store', () => {
  it('keeps transcripts and nonce markers for a new connection (a restarted worker)', async () => {
    const name = `sessions-${bytesToHex(randomBytes(4))}`;
    const id = bytesToHex(randomBytes(32));
    const first = openSessionDb(name);
    const proposal = randomBytes(100);
    await first.put({
      sessionId: id,
      vaultId: 'v',
      status: 'open',
      expiresAt: 10,
      envelopes: [proposal],
      nextSequence: 1,
    });
    await first.addNonceMarker({ sessionId: id, attempt: 1, stage: 'issued', at: 1 });
    await first.addNonceMarker({ sessionId: id, attempt: 1, stage: 'consumed', at: 2 });
    await first.append(id, [randomBytes(20), randomBytes(30)], 4);

    const reopened = openSessionDb(name);
    const stored = await reopened.get(id);
    expect(stored?.envelopes.map((e) => e.length)).toEqual([100, 20, 30]);
    expect(stored?.nextSequence).toBe(4);
    expect((await reopened.nonceMarkers(id)).map((m) => m.stage)).toEqual(['issued', 'consumed']);

    await reopened.finish(id, 'completed', 'cd'.repeat(32));
    expect(await reopened.get(id)).toMatchObject({ status: 'completed', envelopes: [] });
    await reopened.delete(id);
    expect(await reopened.get(id)).toBeUndefined();
    expect(await reopened.nonceMarkers(id)).toEqual([]);
    expect(await reopened.list()).toEqual([]);
  });
});
