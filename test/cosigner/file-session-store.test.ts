import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSessionStore } from '../../src/cosigner/file-session-store.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the cosigner’s file session store', () => {
  it('keeps transcripts and nonce markers across a new instance on the same directory', async () => {
    dir = await mkdtemp(join(tmpdir(), 'petal-store-'));
    const id = bytesToHex(randomBytes(32));
    const first = new FileSessionStore(dir);
    const envelope = randomBytes(120);
    await first.commit({
      sessionId: id,
      open: { vaultId: 'v', expiresAt: 1 },
      envelopes: [envelope],
      nextSequence: 1,
    });
    // Not awaited: the next commit still lands after it.
    void first.commit({
      sessionId: id,
      markers: [{ sessionId: id, attempt: 1, stage: 'issued', at: 5 }],
    });
    await first.commit({ sessionId: id, envelopes: [randomBytes(10)], nextSequence: 3 });

    const reopened = new FileSessionStore(dir);
    const stored = await reopened.get(id);
    expect(stored?.envelopes[0]).toEqual(envelope);
    expect(stored?.envelopes).toHaveLength(2);
    expect(stored?.nextSequence).toBe(3);
    expect(await reopened.nonceMarkers(id)).toEqual([
      { sessionId: id, attempt: 1, stage: 'issued', at: 5 },
    ]);
    expect((await reopened.list()).map((s) => s.sessionId)).toEqual([id]);

    await reopened.commit({
      sessionId: id,
      finish: { status: 'completed', txid: 'ab'.repeat(32) },
    });
    expect(await reopened.get(id)).toMatchObject({ status: 'completed', envelopes: [] });
    // Markers outlive the transcript until the record is deleted; no temp files are left.
    expect(await reopened.nonceMarkers(id)).toHaveLength(1);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await reopened.delete(id);
    expect(await reopened.get(id)).toBeUndefined();
    expect(await reopened.nonceMarkers(id)).toEqual([]);
  });

  it('refuses a session id that could escape the directory', async () => {
    dir = await mkdtemp(join(tmpdir(), 'petal-store-'));
    await expect(new FileSessionStore(dir).get('../../etc/passwd')).rejects.toThrow(/64 hex/);
  });
});
