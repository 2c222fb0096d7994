import { describe, expect, it } from 'vitest';
import type { ChainIndexer, IndexedTx } from '../../../src/core/chain/chronik.ts';
import { regtest } from '../../../src/core/chain/network.ts';
import {
  INDEXER_PAGE_MAX,
  VAULT_HISTORY_MAX,
  VAULT_HISTORY_PAGE,
  vaultHistory,
} from '../../../src/core/wallet/vault-history.ts';
import { indexedTx } from './indexed-tx.ts';

const VAULT = new Uint8Array([0x51, 7]);
const FUNDER = new Uint8Array([0x51, 8]);
const PAYEE = new Uint8Array([0x51, 9]);

/**
 * Answers tip and history as Chronik does for the vault's script: `txs` newest first, cut into
 * pages of `pageSize` (at most 200), with the number of pages; every read is recorded.
 */
const indexerOf = (tipHeight: number, txs: IndexedTx[]) => {
  const reads: [number, number][] = [];
  const indexer = {
    tip: async () => ({ height: tipHeight, hash: 't', medianTime: 0 }),
    history: async (_script: Uint8Array, page = 0, pageSize = 25) => {
      reads.push([page, pageSize]);
      if (pageSize > INDEXER_PAGE_MAX) throw new Error(`page_size ${pageSize} is too large`);
      const txsNow = [...txs];
      return {
        txs: txsNow.slice(page * pageSize, (page + 1) * pageSize),
        numPages: Math.ceil(txsNow.length / pageSize),
      };
    },
  };
  return Object.assign(indexer as unknown as ChainIndexer, { reads, txs });
};

/** `n` receipts into the vault, one per block from height 1, newest first as Chronik lists them. */
const receipts = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    indexedTx(`r${n - i}`, [[1_000n, FUNDER]], [[1_000n, VAULT]], n - i),
  );

describe('a vault’s history', () => {
  it('lists receipts and spends from the vault’s side, newest first, with confirmations', async () => {
    const receipt = indexedTx('a', [[40_000_000n, FUNDER]], [[40_000_000n, VAULT]], 100);
    const spend = indexedTx(
      'b',
      [[40_000_000n, VAULT]],
      [
        [12_500_000n, PAYEE],
        [27_499_800n, VAULT],
      ],
      102,
    );
    const pending = indexedTx('c', [[1_000n, FUNDER]], [[1_000n, VAULT]]);
    const { entries, more } = await vaultHistory(
      indexerOf(102, [pending, spend, receipt]),
      VAULT,
      regtest,
    );
    expect(more).toBe(false);
    expect(entries.map((e) => [e.txid, e.kind, e.net, e.confirmations])).toEqual([
      ['c', 'received', '1000', 0],
      ['b', 'sent', '-12500200', 1],
      ['a', 'received', '40000000', 3],
    ]);
    // The vault paid every input of its spend, so the fee is known; not for a receipt.
    expect(entries[1]?.fee).toBe('200');
    expect(entries[2]?.fee).toBeUndefined();
  });

  it('counts confirmations from a block mined between reading the tip and the history', async () => {
    const receipt = indexedTx('a', [[5_000n, FUNDER]], [[5_000n, VAULT]], 11);
    const [entry] = (await vaultHistory(indexerOf(10, [receipt]), VAULT, regtest)).entries;
    expect(entry?.confirmations).toBe(1);
  });

  it('reads the latest page, and says when there are older transactions', async () => {
    const indexer = indexerOf(120, receipts(120));
    const first = await vaultHistory(indexer, VAULT, regtest);
    expect(first.entries).toHaveLength(VAULT_HISTORY_PAGE);
    expect(first.entries[0]).toMatchObject({ txid: 'r120', confirmations: 1 });
    expect(first.entries.at(-1)?.txid).toBe('r71');
    expect(first.more).toBe(true);
    // "Show more" asks for 50 more; the last read reaches the oldest.
    expect((await vaultHistory(indexer, VAULT, regtest, 100)).more).toBe(true);
    const all = await vaultHistory(indexer, VAULT, regtest, 150);
    expect(all.entries.map((e) => e.txid)).toEqual(receipts(120).map((t) => t.txid));
    expect(all.entries.at(-1)?.confirmations).toBe(120);
    expect(all.more).toBe(false);
    // Exactly as many as asked for: nothing older is left.
    expect((await vaultHistory(indexerOf(100, receipts(100)), VAULT, regtest, 100)).more).toBe(
      false,
    );
  });

  it('reads past 200 transactions in pages of 200, the indexer’s largest', async () => {
    const indexer = indexerOf(450, receipts(450));
    const { entries, more } = await vaultHistory(indexer, VAULT, regtest, 250);
    expect(indexer.reads.sort()).toEqual([
      [0, 200],
      [1, 200],
    ]);
    expect(entries.map((e) => e.txid)).toEqual(
      receipts(450)
        .slice(0, 250)
        .map((t) => t.txid),
    );
    expect(more).toBe(true);
    const rest = await vaultHistory(indexer, VAULT, regtest, 450);
    expect(rest.entries).toHaveLength(450);
    expect(rest.more).toBe(false);
  });

  it('keeps a transaction once when one arriving between page reads pushes it to the next page', async () => {
    const indexer = indexerOf(300, receipts(300));
    const history = indexer.history.bind(indexer);
    // Page 1 is read after a new payment arrived: its first entry was page 0's last.
    let arrived = false;
    indexer.history = async (script, page, pageSize) => {
      if (page === 1 && !arrived) {
        arrived = true;
        indexer.txs.unshift(indexedTx('new', [[5n, FUNDER]], [[5n, VAULT]]));
      }
      return history(script, page, pageSize);
    };
    const { entries } = await vaultHistory(indexer, VAULT, regtest, 300);
    const txids = entries.map((e) => e.txid);
    expect(new Set(txids).size).toBe(txids.length);
    expect(txids.slice(198, 202)).toEqual(['r102', 'r101', 'r100', 'r99']);
  });

  it('refuses a limit it would not serve', async () => {
    const indexer = indexerOf(1, receipts(1));
    for (const limit of [0, -1, 1.5, VAULT_HISTORY_MAX + 1])
      await expect(vaultHistory(indexer, VAULT, regtest, limit)).rejects.toBeInstanceOf(RangeError);
  });
});
