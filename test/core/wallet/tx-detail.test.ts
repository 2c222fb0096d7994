import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { regtest } from '../../../src/core/chain/index.ts';
import { HdAccount } from '../../../src/core/wallet/account.ts';
import { txDetail } from '../../../src/core/wallet/tx-detail.ts';

const mine = HdAccount.fromSecrets(
  {
    mnemonic:
      'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
    passphrase: '',
  },
  regtest,
);
const other = HdAccount.fromSecrets(
  {
    mnemonic: 'legal winner thank year wave sausage worth useful legal winner thank yellow',
    passphrase: '',
  },
  regtest,
);

describe('transaction detail', () => {
  const from = mine.addressAt(0, 0);
  const change = mine.addressAt(1, 0);
  const to = other.addressAt(0, 0);
  const owns = (hex: string) =>
    hex === bytesToHex(from.script) || hex === bytesToHex(change.script);
  const tx = {
    txid: 'ab'.repeat(32),
    inputs: [{ txid: 'cd'.repeat(32), vout: 0, value: 100_000_000n, script: from.script }],
    outputs: [
      { value: 7_250_000n, script: to.script },
      { value: 92_749_000n, script: change.script },
      { value: 0n, script: Uint8Array.of(0x6a, 0x01, 0x00) },
    ],
    block: { height: 100, hash: '00'.repeat(32), timestamp: 1_767_225_600 },
    timeFirstSeen: 1_767_225_000,
    size: 250,
    isCoinbase: false,
  };

  it('lists every input and output with address, amount and whether it is the wallet’s', () => {
    const detail = txDetail(tx, 102, owns, regtest);
    expect(detail.inputs).toEqual([{ address: from.address, value: '100000000', mine: true }]);
    expect(detail.outputs).toEqual([
      { address: to.address, value: '7250000', mine: false },
      { address: change.address, value: '92749000', mine: true },
      { value: '0', mine: false },
    ]);
    expect(detail).toMatchObject({
      fee: '1000',
      net: '-7251000',
      confirmations: 3,
      height: 100,
      time: 1_767_225_600,
    });
  });

  it('counts an unconfirmed transaction as 0 confirmations, timed when first seen', () => {
    const detail = txDetail({ ...tx, block: undefined }, 102, owns, regtest);
    expect(detail.confirmations).toBe(0);
    expect(detail.height).toBeUndefined();
    expect(detail.time).toBe(1_767_225_000);
  });

  it('has no fee for a coinbase', () => {
    expect(txDetail({ ...tx, isCoinbase: true }, 102, owns, regtest).fee).toBeUndefined();
  });
});
