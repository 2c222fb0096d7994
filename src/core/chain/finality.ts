/**
 * lotusd's transaction finality rules as pure functions over heights and median times past (MTP):
 * absolute locks (nLockTime, IsFinalTx) and BIP68 relative locks (nSequence, SequenceLocks). A
 * node checks both before any script runs, and refuses to relay a transaction that could not be
 * mined in the next block: `bad-txns-nonfinal` (nLockTime) and `non-BIP68-final` (nSequence).
 *
 * Sources (lotusd v11.4.14): consensus/tx_verify.cpp (IsFinalTx, ContextualCheckTransaction,
 * CalculateSequenceLocks, EvaluateSequenceLocks, SequenceLocks) and validation.cpp
 * (CheckSequenceLocks, ContextualCheckTransactionForCurrentBlock).
 */
import { ChainError } from './errors.ts';
import { RELAY_POLICY } from './network.ts';
import { SEQUENCE_FINAL } from './signer.ts';
import { type Transaction, serializeTx } from './transaction.ts';

/** nLockTime below this is a block height, at or above it a UNIX time (script/script.h:42). */
export const LOCKTIME_THRESHOLD = 500_000_000;
/** primitives/transaction.h:71-101 (SEQUENCE_FINAL itself is in signer.ts). */
export const SEQUENCE_LOCKTIME_DISABLE_FLAG = 0x80000000;
export const SEQUENCE_LOCKTIME_TYPE_FLAG = 1 << 22;
export const SEQUENCE_LOCKTIME_MASK = 0x0000ffff;
/** Time-based relative locks count units of 2^9 = 512 seconds. */
export const SEQUENCE_LOCKTIME_GRANULARITY = 9;

/** Finality needs chain data the caller did not give (a coin's height, a block's MTP). */
export class FinalityError extends ChainError {
  override name = 'FinalityError';
}

/** The chain tip a transaction is judged against: it can be mined in block `height + 1`. */
export interface ChainTip {
  height: number;
  /** Median time past of the tip (the median of the last 11 block times, blockindex.h:179-195). */
  medianTimePast: number;
}

export type FinalityVerdict =
  | { ok: true }
  | { ok: false; reason: 'bad-txns-nonfinal' | 'bad-txns-undersize' | 'non-BIP68-final' };

/**
 * IsFinalTx, consensus/tx_verify.cpp:19-38: nLockTime 0, or below the block height (height
 * locks) or block time (time locks) it is judged at, or every input's sequence final.
 * @example isFinalTx(tx, 121, mtp) // a tx with nLockTime 120 can be in block 121
 */
export function isFinalTx(tx: Transaction, blockHeight: number, blockTime: number): boolean {
  if (tx.locktime === 0) return true;
  const limit = tx.locktime < LOCKTIME_THRESHOLD ? blockHeight : blockTime;
  if (tx.locktime < limit) return true;
  return tx.inputs.every((input) => input.sequence >>> 0 === SEQUENCE_FINAL);
}

/**
 * ContextualCheckTransaction, consensus/tx_verify.cpp:40-59: final at `blockHeight` with time
 * locks judged against `lockTimeCutoff` (the MTP of the block's parent), and at least 100 bytes.
 */
export function contextualCheckTransaction(
  tx: Transaction,
  blockHeight: number,
  lockTimeCutoff: number,
): FinalityVerdict {
  if (!isFinalTx(tx, blockHeight, lockTimeCutoff))
    return { ok: false, reason: 'bad-txns-nonfinal' };
  // consensus/consensus.h:17, as in the network table: ContextualCheckTransaction's minimum.
  if (serializeTx(tx).length < RELAY_POLICY.minTxSize)
    return { ok: false, reason: 'bad-txns-undersize' };
  return { ok: true };
}

/**
 * ContextualCheckTransactionForCurrentBlock, validation.cpp:3932-3966: what a node's mempool
 * asks of nLockTime, i.e. could the transaction be in the block after `tip`.
 * @example checkFinalTxForNextBlock(tx, { height: 120, medianTimePast }) // nLockTime 120: ok
 *          checkFinalTxForNextBlock(tx, { height: 119, medianTimePast }) // bad-txns-nonfinal
 */
export function checkFinalTxForNextBlock(tx: Transaction, tip: ChainTip): FinalityVerdict {
  return contextualCheckTransaction(tx, tip.height + 1, tip.medianTimePast);
}

/**
 * The last invalid height and time (nLockTime semantics) implied by the relative locks; -1 when
 * there is no lock of that kind.
 */
export interface SequenceLockPair {
  minHeight: number;
  minTime: number;
}

/** MTP of the block at a height of the chain being extended (GetAncestor(h)->GetMedianTimePast()). */
export type MedianTimePastAt = (height: number) => number;

/**
 * CalculateSequenceLocks, consensus/tx_verify.cpp:67-135. `prevHeights[i]` is the height of the
 * block that confirmed input i's coin. Time-based locks count from the MTP of the block before
 * that one, so they need `medianTimePastAt`; height-based locks need only the heights.
 * @throws FinalityError when an input with a time-based lock is given no `medianTimePastAt`.
 * @example // one input with nSequence 10, its coin confirmed at height 111
 *          calculateSequenceLocks(tx, [111]) // { minHeight: 120, minTime: -1 }
 */
export function calculateSequenceLocks(
  tx: Transaction,
  prevHeights: readonly number[],
  medianTimePastAt?: MedianTimePastAt,
): SequenceLockPair {
  if (prevHeights.length !== tx.inputs.length)
    throw new FinalityError('One confirmation height per input is required');
  let minHeight = -1;
  let minTime = -1;
  // tx_verify.cpp:84: the version is compared as unsigned; Lotus needs no flag for BIP68.
  if (tx.version >>> 0 < 2) return { minHeight, minTime };
  for (const [i, input] of tx.inputs.entries()) {
    const sequence = input.sequence >>> 0;
    // tx_verify.cpp:98-102
    if (sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG) continue;
    const coinHeight = prevHeights[i] as number;
    const value = sequence & SEQUENCE_LOCKTIME_MASK;
    if (sequence & SEQUENCE_LOCKTIME_TYPE_FLAG) {
      // tx_verify.cpp:106-125: counted from the MTP of the block before the coin's block.
      if (!medianTimePastAt)
        throw new FinalityError(`Input ${i} has a time-based relative lock; MTPs are needed`);
      const coinTime = medianTimePastAt(Math.max(coinHeight - 1, 0));
      minTime = Math.max(minTime, coinTime + value * 2 ** SEQUENCE_LOCKTIME_GRANULARITY - 1);
    } else {
      // tx_verify.cpp:126-131
      minHeight = Math.max(minHeight, coinHeight + value - 1);
    }
  }
  return { minHeight, minTime };
}

/**
 * EvaluateSequenceLocks, consensus/tx_verify.cpp:137-146: the locks are met in a block at
 * `blockHeight` whose parent has MTP `prevMedianTimePast`.
 */
export function evaluateSequenceLocks(
  blockHeight: number,
  prevMedianTimePast: number,
  lock: SequenceLockPair,
): boolean {
  return lock.minHeight < blockHeight && lock.minTime < prevMedianTimePast;
}

/** SequenceLocks, consensus/tx_verify.cpp:148-152, for a block at `blockHeight`. */
export function sequenceLocks(
  tx: Transaction,
  prevHeights: readonly number[],
  blockHeight: number,
  prevMedianTimePast: number,
  medianTimePastAt?: MedianTimePastAt,
): boolean {
  return evaluateSequenceLocks(
    blockHeight,
    prevMedianTimePast,
    calculateSequenceLocks(tx, prevHeights, medianTimePastAt),
  );
}

/**
 * CheckSequenceLocks, validation.cpp:203-271: could the transaction's relative locks be met in
 * the block after `tip`. A coin still in the mempool (`undefined` height) counts as confirming in
 * that next block (validation.cpp:236-238).
 * @example // nSequence 10, coin confirmed at 111: minable in block 121, i.e. at tip 120
 *          checkSequenceLocks(tx, { height: 120, medianTimePast }, [111]) // { ok: true }
 */
export function checkSequenceLocks(
  tx: Transaction,
  tip: ChainTip,
  coinHeights: readonly (number | undefined)[],
  medianTimePastAt?: MedianTimePastAt,
): FinalityVerdict {
  const next = tip.height + 1;
  const heights = coinHeights.map((h) => h ?? next);
  const ok = sequenceLocks(tx, heights, next, tip.medianTimePast, medianTimePastAt);
  return ok ? { ok: true } : { ok: false, reason: 'non-BIP68-final' };
}

/**
 * Both finality checks in a node's mempool order (validation.cpp:499-510, then :580-583): is
 * the transaction minable in the block after `tip`.
 */
export function checkFinalityForNextBlock(
  tx: Transaction,
  tip: ChainTip,
  coinHeights: readonly (number | undefined)[],
  medianTimePastAt?: MedianTimePastAt,
): FinalityVerdict {
  const absolute = checkFinalTxForNextBlock(tx, tip);
  if (!absolute.ok) return absolute;
  return checkSequenceLocks(tx, tip, coinHeights, medianTimePastAt);
}
