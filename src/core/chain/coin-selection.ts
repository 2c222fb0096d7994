import { ChainError } from './errors.ts';
import { type InputKind, estimateSize, inputKindFor } from './fees.ts';
import { dustThreshold, MIN_RELAY_FEE_PER_BYTE } from './policy.ts';
import { type OutPoint, type TxOutput, sumAmounts } from './transaction.ts';
import { formatXpi } from './xpi-format.ts';

export interface Utxo {
  outpoint: OutPoint;
  value: bigint;
  script: Uint8Array;
}

/**
 * The coins do not cover the outputs and the fee. `missing` is the amount in sats for callers to
 * format; the message says it in XPI, the unit of every form that can raise it.
 */
export class InsufficientFundsError extends ChainError {
  override name = 'InsufficientFundsError';
  /** Sats still missing (amount + fee − available). */
  readonly missing: bigint;
  constructor(missing: bigint) {
    super(`Insufficient funds: ${formatXpi(missing)} XPI short (including the network fee)`);
    this.missing = missing;
  }
}

export interface Selection {
  inputs: Utxo[];
  /** Change output value, or 0n when the selection needs no change. */
  change: bigint;
  fee: bigint;
  size: number;
}

export interface SelectOptions {
  feePerByte?: bigint;
  /** Where change goes; its script sets the change output's size and dust threshold. */
  changeScript: Uint8Array;
  ecdsa?: boolean;
  /** Every input's serialized size, when the script alone does not tell (a script-path spend). */
  inputBytes?: number;
  /** Upper bound on subsets explored when looking for a change-free selection. */
  maxTries?: number;
}

/**
 * Chooses inputs for `outputs`. First it looks for a subset whose excess over amount + fee is
 * smaller than what a change output would cost (branch and bound): no change, no dust, a smaller
 * transaction. Otherwise it adds the largest coins until the change is above dust; change that
 * would be dust is left to the fee. Fees are exact per byte (never below 1 sat/byte).
 *
 * @throws InsufficientFundsError saying how many sats are missing.
 */
export function selectCoins(utxos: Utxo[], outputs: TxOutput[], options: SelectOptions): Selection {
  const feePerByte = options.feePerByte ?? MIN_RELAY_FEE_PER_BYTE;
  if (feePerByte < MIN_RELAY_FEE_PER_BYTE)
    throw new ChainError('Fee rate is below the 1 sat/byte relay minimum');
  const target = sumAmounts(
    outputs.map((o) => o.value),
    'amount',
  );
  const scripts = outputs.map((o) => o.script);
  const kinds = new Map<Utxo, InputKind | number>(
    utxos.map((u) => [u, options.inputBytes ?? inputKindFor(u.script, options.ecdsa)]),
  );
  const fee = (inputs: Utxo[], withChange: boolean) => {
    const size = estimateSize(
      inputs.map((u) => kinds.get(u) as InputKind | number),
      withChange ? [...scripts, options.changeScript] : scripts,
    );
    return { size, fee: BigInt(size) * feePerByte };
  };
  const sorted = [...utxos].sort((a, b) => (b.value > a.value ? 1 : b.value < a.value ? -1 : 0));

  const changeFree = branchAndBound(sorted, target, fee, options, feePerByte);
  if (changeFree) return changeFree;

  const chosen: Utxo[] = [];
  let total = 0n;
  for (const utxo of sorted) {
    chosen.push(utxo);
    total += utxo.value;
    const withChange = fee(chosen, true);
    const change = total - target - withChange.fee;
    if (change >= dustThreshold({ script: options.changeScript })) {
      return { inputs: chosen, change, fee: withChange.fee, size: withChange.size };
    }
    const without = fee(chosen, false);
    if (total >= target + without.fee) {
      // Change would be dust: leave it to the fee rather than make an unspendable output.
      return { inputs: chosen, change: 0n, fee: total - target, size: without.size };
    }
  }
  const all = fee(sorted, false);
  throw new InsufficientFundsError(target + all.fee - total);
}

function branchAndBound(
  sorted: Utxo[],
  target: bigint,
  fee: (inputs: Utxo[], withChange: boolean) => { size: number; fee: bigint },
  options: SelectOptions,
  feePerByte: bigint,
): Selection | undefined {
  // Excess below this is better paid as fee than turned into a change output (which costs its
  // own bytes now and an input later).
  const changeCost = dustThreshold({ script: options.changeScript }) + 150n * feePerByte;
  let tries = options.maxTries ?? 50_000;
  let best: Selection | undefined;
  const chosen: Utxo[] = [];
  const suffix = sorted.map((_, i) => sorted.slice(i).reduce((s, u) => s + u.value, 0n));
  const search = (index: number, total: bigint): void => {
    if (tries-- <= 0) return;
    const { size, fee: f } = fee(chosen, false);
    const needed = target + f;
    if (chosen.length > 0 && total >= needed) {
      if (total - needed <= changeCost && (!best || total - needed < best.fee - f)) {
        best = { inputs: [...chosen], change: 0n, fee: total - target, size };
      }
      return;
    }
    if (index >= sorted.length || total + (suffix[index] as bigint) < needed) return;
    chosen.push(sorted[index] as Utxo);
    search(index + 1, total + (sorted[index] as Utxo).value);
    chosen.pop();
    search(index + 1, total);
  };
  search(0, 0n);
  return best;
}

/** The largest amount payable to one output script using every coin, with no change. */
export function maxSendable(
  utxos: Utxo[],
  outputScript: Uint8Array,
  options: { feePerByte?: bigint; ecdsa?: boolean } = {},
): bigint {
  const feePerByte = options.feePerByte ?? MIN_RELAY_FEE_PER_BYTE;
  const total = sumAmounts(utxos.map((u) => u.value));
  const size = estimateSize(
    utxos.map((u) => inputKindFor(u.script, options.ecdsa)),
    [outputScript],
  );
  const amount = total - BigInt(size) * feePerByte;
  return amount >= dustThreshold({ script: outputScript }) ? amount : 0n;
}
