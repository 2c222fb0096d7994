import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import type { IndexedUtxo } from '../../../src/core/chain/chronik.ts';
import { balanceOf } from '../../../src/core/wallet/account-sync.ts';
import { indexedTx } from './indexed-tx.ts';

const MINE = new Uint8Array([0x51, 1]);
const CHANGE = new Uint8Array([0x51, 2]);
const THEIRS = new Uint8Array([0x51, 9]);
const owns = (hex: string) => hex === bytesToHex(MINE) || hex === bytesToHex(CHANGE);

const utxo = (txid: string, value: bigint, script: Uint8Array, blockHeight: number) =>
  ({ txid, vout: 0, value, script, blockHeight, isCoinbase: false }) as IndexedUtxo;

describe('the balance while a send is in the mempool', () => {
  it('shows the send as −(amount + fee) pending, not its own change as incoming', () => {
    // 100 XPI confirmed; a pending send of 12.5 XPI with a 0.0002 fee and 87.4998 change.
    const funding = indexedTx('a', [[100_000_000n, THEIRS]], [[100_000_000n, MINE]], 10);
    const send = indexedTx(
      'b',
      [[100_000_000n, MINE]],
      [
        [12_500_000n, THEIRS],
        [87_499_800n, CHANGE],
      ],
    );
    // The indexer's coins already reflect the mempool: the spent coin is gone, the change is in.
    const utxos = [utxo('b', 87_499_800n, CHANGE, -1)];
    const balance = balanceOf({ utxos, txs: [funding, send] }, owns);
    expect(balance).toEqual({ confirmed: 100_000_000n, pending: -12_500_200n });
    // The headline: confirmed minus what is being spent plus our own change.
    expect(balance.confirmed + balance.pending).toBe(87_499_800n);
  });

  it('counts an incoming payment as pending until it is in a block', () => {
    const incoming = indexedTx('c', [[5_000_000n, THEIRS]], [[5_000_000n, MINE]]);
    const utxos = [utxo('a', 100_000_000n, MINE, 10), utxo('c', 5_000_000n, MINE, -1)];
    expect(balanceOf({ utxos, txs: [incoming] }, owns)).toEqual({
      confirmed: 100_000_000n,
      pending: 5_000_000n,
    });
    const mined = { ...incoming, block: { height: 11, hash: 'h', timestamp: 0 } };
    const settled = [utxo('a', 100_000_000n, MINE, 10), utxo('c', 5_000_000n, MINE, 11)];
    expect(balanceOf({ utxos: settled, txs: [mined] }, owns)).toEqual({
      confirmed: 105_000_000n,
      pending: 0n,
    });
  });

  it('nets a chain of pending transactions: a send that spends an unconfirmed payment', () => {
    const incoming = indexedTx('c', [[5_000_000n, THEIRS]], [[5_000_000n, MINE]]);
    const send = indexedTx(
      'd',
      [[5_000_000n, MINE]],
      [
        [1_000_000n, THEIRS],
        [3_999_000n, CHANGE],
      ],
    );
    const utxos = [utxo('a', 100_000_000n, MINE, 10), utxo('d', 3_999_000n, CHANGE, -1)];
    expect(balanceOf({ utxos, txs: [incoming, send] }, owns)).toEqual({
      confirmed: 100_000_000n,
      pending: 3_999_000n,
    });
  });
});
