import 'fake-indexeddb/auto';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { openSessionDb } from '../../src/background/session-db.ts';

const original = IDBDatabase.prototype.transaction;
afterEach(() => {
  IDBDatabase.prototype.transaction = original;
});

/** Records every transaction the store opens: its object stores, mode and options. */
function watchTransactions() {
  const seen: { stores: string[]; mode?: string; durability?: string }[] = [];
  IDBDatabase.prototype.transaction = function (
    this: IDBDatabase,
    stores: string | string[],
    mode?: IDBTransactionMode,
    options?: IDBTransactionOptions,
  ) {
    seen.push({
      stores: typeof stores === 'string' ? [stores] : [...stores],
      ...(mode ? { mode } : {}),
      ...(options?.durability ? { durability: options.durability } : {}),
    });
    return original.call(this, stores, mode, options);
  } as typeof original;
  return seen;
}

describe('durability of session writes', () => {
  it('flushes every transaction that writes nonce markers, and only those', async () => {
    const db = openSessionDb(`sessions-${bytesToHex(randomBytes(4))}`);
    const id = bytesToHex(randomBytes(32));
    await db.commit({
      sessionId: id,
      open: { vaultId: 'v', expiresAt: 9 },
      envelopes: [randomBytes(9)],
    });
    const seen = watchTransactions();
    const marker = (stage: 'issued' | 'consumed') => ({ sessionId: id, attempt: 1, stage, at: 1 });
    // A step that stores its nonce marker and its own envelope: one strict transaction.
    await db.commit({
      sessionId: id,
      markers: [marker('issued')],
      envelopes: [randomBytes(9)],
      nextSequence: 2,
    });
    await db.commit({ sessionId: id, envelopes: [randomBytes(9)] });
    await db.commit({ sessionId: id, markers: [marker('consumed')] });
    await db.delete(id);
    const writes = seen.filter((t) => t.mode === 'readwrite');
    expect(writes.map((t) => t.durability)).toEqual(['strict', 'relaxed', 'strict', 'strict']);
    expect(writes.every((t) => t.stores.includes('markers'))).toBe(true);
  });
});
