/**
 * lotusd's finality rules (consensus/tx_verify.cpp, validation.cpp) on hand-made transactions:
 * height and time nLockTime, BIP68 height and time locks, version 1, mempool parents. The rows a
 * real node judged are in node-judged.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  FinalityError,
  LOCKTIME_THRESHOLD,
  SEQUENCE_LOCKTIME_DISABLE_FLAG,
  SEQUENCE_LOCKTIME_TYPE_FLAG,
  calculateSequenceLocks,
  checkFinalTxForNextBlock,
  checkFinalityForNextBlock,
  checkSequenceLocks,
  contextualCheckTransaction,
  isFinalTx,
} from '../../../src/core/chain/finality.ts';
import { SEQUENCE_FINAL } from '../../../src/core/chain/signer.ts';
import type { Transaction } from '../../../src/core/chain/transaction.ts';

function tx(locktime: number, sequences: number[], version = 2): Transaction {
  return {
    version,
    inputs: sequences.map((sequence, i) => ({
      prevout: { txid: new Uint8Array(32).fill(i + 1), vout: 0 },
      scriptSig: new Uint8Array(100),
      sequence,
    })),
    outputs: [{ value: 1_000n, script: new Uint8Array(25) }],
    locktime,
  };
}

const MTP = 1_796_544_606;

describe('nLockTime (IsFinalTx)', () => {
  it('takes a height lock in the first block above it', () => {
    const t = tx(120, [0xfffffffe]);
    expect(isFinalTx(t, 120, MTP)).toBe(false);
    expect(isFinalTx(t, 121, MTP)).toBe(true);
    expect(checkFinalTxForNextBlock(t, { height: 119, medianTimePast: MTP })).toEqual({
      ok: false,
      reason: 'bad-txns-nonfinal',
    });
    expect(checkFinalTxForNextBlock(t, { height: 120, medianTimePast: MTP })).toEqual({ ok: true });
  });

  it('judges a time lock against the tip’s median time past', () => {
    const t = tx(MTP, [0]);
    expect(MTP).toBeGreaterThanOrEqual(LOCKTIME_THRESHOLD);
    expect(checkFinalTxForNextBlock(t, { height: 10, medianTimePast: MTP }).ok).toBe(false);
    expect(checkFinalTxForNextBlock(t, { height: 10, medianTimePast: MTP + 1 }).ok).toBe(true);
  });

  it('ignores the lock when every input is final, and a zero lock always', () => {
    expect(isFinalTx(tx(1_000, [SEQUENCE_FINAL, SEQUENCE_FINAL]), 1, 0)).toBe(true);
    expect(isFinalTx(tx(1_000, [SEQUENCE_FINAL, 0xfffffffe]), 1, 0)).toBe(false);
    expect(isFinalTx(tx(0, [0]), 0, 0)).toBe(true);
  });

  it('refuses a transaction under 100 bytes once it is final', () => {
    const small = { ...tx(0, [SEQUENCE_FINAL]), inputs: [] };
    expect(contextualCheckTransaction(small, 1, 0)).toEqual({
      ok: false,
      reason: 'bad-txns-undersize',
    });
  });
});

describe('BIP68 relative locks (SequenceLocks)', () => {
  const tip = (height: number, medianTimePast = MTP) => ({ height, medianTimePast });

  it('needs the coin to have as many confirmations as the sequence asks', () => {
    const t = tx(0, [10]);
    expect(calculateSequenceLocks(t, [111])).toEqual({ minHeight: 120, minTime: -1 });
    expect(checkSequenceLocks(t, tip(119), [111])).toEqual({
      ok: false,
      reason: 'non-BIP68-final',
    });
    expect(checkSequenceLocks(t, tip(120), [111])).toEqual({ ok: true });
  });

  it('takes the strictest input', () => {
    const t = tx(0, [10, 3]);
    expect(calculateSequenceLocks(t, [111, 119]).minHeight).toBe(121);
    expect(checkSequenceLocks(t, tip(120), [111, 119]).ok).toBe(false);
    expect(checkSequenceLocks(t, tip(121), [111, 119]).ok).toBe(true);
  });

  it('counts a mempool parent as confirming in the next block, so any lock on it fails', () => {
    expect(checkSequenceLocks(tx(0, [0]), tip(200), [undefined]).ok).toBe(true);
    expect(checkSequenceLocks(tx(0, [1]), tip(200), [undefined]).ok).toBe(false);
    expect(checkSequenceLocks(tx(0, [1]), tip(200), [200]).ok).toBe(true);
  });

  it('does not apply to version 1 or to inputs with the disable flag', () => {
    expect(calculateSequenceLocks(tx(0, [10], 1), [111])).toEqual({ minHeight: -1, minTime: -1 });
    expect(
      calculateSequenceLocks(tx(0, [(SEQUENCE_LOCKTIME_DISABLE_FLAG | 10) >>> 0]), [111]),
    ).toEqual({ minHeight: -1, minTime: -1 });
    // tx_verify.cpp:84 compares the version unsigned: a negative int32 version enforces BIP68.
    expect(calculateSequenceLocks(tx(0, [10], -1), [111]).minHeight).toBe(120);
  });

  it('counts a time lock in 512-second units from the MTP of the block before the coin', () => {
    const t = tx(0, [SEQUENCE_LOCKTIME_TYPE_FLAG | 2]);
    const mtpAt = (h: number) => 1_000_000 + h * 600;
    const lock = calculateSequenceLocks(t, [50], mtpAt);
    expect(lock).toEqual({ minHeight: -1, minTime: mtpAt(49) + 1024 - 1 });
    expect(checkSequenceLocks(t, tip(60, lock.minTime), [50], mtpAt).ok).toBe(false);
    expect(checkSequenceLocks(t, tip(60, lock.minTime + 1), [50], mtpAt).ok).toBe(true);
  });

  it('throws FinalityError for a time lock without the MTPs it needs', () => {
    const t = tx(0, [SEQUENCE_LOCKTIME_TYPE_FLAG | 2]);
    expect(() => calculateSequenceLocks(t, [50])).toThrow(FinalityError);
    expect(() => calculateSequenceLocks(t, [])).toThrow(FinalityError);
  });

  it('checks nLockTime before the sequence locks, as the mempool does', () => {
    const t = tx(500, [10]);
    expect(checkFinalityForNextBlock(t, tip(300), [299])).toEqual({
      ok: false,
      reason: 'bad-txns-nonfinal',
    });
    expect(checkFinalityForNextBlock(t, tip(500), [499])).toEqual({
      ok: false,
      reason: 'non-BIP68-final',
    });
    expect(checkFinalityForNextBlock(t, tip(508), [499])).toEqual({ ok: true });
  });
});
