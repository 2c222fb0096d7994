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

describe('nonce markers are written with strict durability', () => {
  it('asks IndexedDB to flush every transaction that writes nonce markers', async () => {
    const seen = watchTransactions();
    const db = openSessionDb(`sessions-${bytesToHex(randomBytes(4))}`);
    const id = bytesToHex(randomBytes(32));
    await db.addNonceMarker({ sessionId: id, attempt: 1, stage: 'issued', at: 1 });
    await db.addNonceMarker({ sessionId: id, attempt: 1, stage: 'consumed', at: 2 });
    await db.delete(id);
    const markerWrites = seen.filter((t) => t.stores.includes('markers') && t.mode === 'readwrite');
    expect(markerWrites).toHaveLength(3);
    for (const t of markerWrites) expect(t.durability).toBe('strict');
  });
});
