import type { IndexedTx } from '../../../src/core/chain/chronik.ts';

/**
 * A transaction as the indexer (Chronik) reports it: `[value, script]` for each input (spending
 * `prev:vout`) and output, mined at `height` or, without one, in the mempool. Times are fixed and
 * first-seen comes after the block time, so sorting by time is deterministic.
 * @example indexedTx('a', [[1_000n, FUNDER]], [[1_000n, VAULT]], 100)
 */
export const indexedTx = (
  txid: string,
  inputs: [bigint, Uint8Array][],
  outputs: [bigint, Uint8Array][],
  height?: number,
): IndexedTx => ({
  txid,
  inputs: inputs.map(([value, script], vout) => ({ txid: 'prev', vout, value, script })),
  outputs: outputs.map(([value, script]) => ({ value, script })),
  ...(height === undefined ? {} : { block: { height, hash: 'h', timestamp: 1_700_000_000 } }),
  timeFirstSeen: 1_700_000_100,
  size: 200,
  isCoinbase: false,
});
