/**
 * Single-signature sends: plan (validate the address and amount, select coins, exact fee, change),
 * then sign and check. The signed transaction is run through the local script verifier and the
 * standardness policy before it may be broadcast, so a bug here cannot reach the network as a
 * rejected (or worse, accepted but wrong) transaction.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  AmountError,
  ChainError,
  type NetworkParams,
  type Transaction,
  type TxOutput,
  type Utxo,
  InsufficientFundsError,
  assertStandard,
  buildUnsignedTx,
  decodeAddress,
  dustThreshold,
  encodeAddress,
  estimateSize,
  inputKindFor,
  maxSendable,
  selectCoins,
  serializeTx,
  signTransaction,
  sumAmounts,
  txid,
  verifyTransaction,
} from '../chain/index.ts';
import { formatXpi } from './amount.ts';

export const DEFAULT_FEE_PER_BYTE = 1n;

export interface DecodedOutput {
  address: string;
  value: bigint;
  /** True for the output that returns change to this wallet. */
  isChange: boolean;
}

export interface SendPlan {
  network: NetworkParams;
  tx: Transaction;
  spent: Utxo[];
  to: string;
  amount: bigint;
  fee: bigint;
  size: number;
  change: bigint;
  outputs: DecodedOutput[];
}

export interface PlanRequest {
  to: string;
  /** Sats to send; ignored with `max`. */
  amount?: bigint;
  /** Send everything, less the fee, with no change. */
  max?: boolean;
  utxos: Utxo[];
  changeScript: Uint8Array;
  network: NetworkParams;
  feePerByte?: bigint;
}

/** A send the wallet refuses before any signing, with a reason the user can act on. */
export class SendError extends ChainError {
  override name = 'SendError';
}

/**
 * An amount below the dust limit of its destination script (lotusd policy/policy.cpp:14-36): the
 * node refuses to relay a transaction with such an output, so the wallet refuses to sign it.
 */
export class DustAmountError extends SendError {
  override name = 'DustAmountError';
  /** lotusd's reject reason (policy/policy.cpp:109). */
  readonly reason = 'dust';
  readonly amount: bigint;
  /** The smallest amount the destination can receive (546 sats to P2PKH, 579 to Taproot). */
  readonly minimum: bigint;
  constructor(amount: bigint, minimum: bigint) {
    super(
      `${formatXpi(amount)} XPI is below the smallest amount Lotus relays to this address (${formatXpi(minimum)} XPI)`,
    );
    this.amount = amount;
    this.minimum = minimum;
  }
}

/**
 * Refuses a payment of `amount` sats to `script` that lotusd would not relay as dust.
 * @throws DustAmountError, whose message gives both amounts in XPI.
 * @example
 *   assertNotDust(546n, p2pkhScript(hash)); // fine
 *   assertNotDust(545n, p2pkhScript(hash)); // DustAmountError: 0.000545 XPI is below …
 */
export function assertNotDust(amount: bigint, script: Uint8Array): void {
  const minimum = dustThreshold({ script });
  if (amount < minimum) throw new DustAmountError(amount, minimum);
}

/**
 * Plans a payment. @throws AddressError (bad or wrong-network address), AmountError,
 * DustAmountError (a SendError: below the destination's dust limit), InsufficientFundsError
 * (says how many sats are missing).
 */
export function planSend(request: PlanRequest): SendPlan {
  const { network } = request;
  const feePerByte = request.feePerByte ?? DEFAULT_FEE_PER_BYTE;
  const destination = decodeAddress(request.to.trim(), network);
  const script = destination.script;
  const dust = dustThreshold({ script });
  const changeAddress = encodeAddress(request.changeScript, network);

  if (request.max) {
    const amount = maxSendable(request.utxos, script, { feePerByte });
    if (amount === 0n) {
      const total = sumAmounts(request.utxos.map((u) => u.value));
      const size = estimateSize(
        request.utxos.map((u) => inputKindFor(u.script)),
        [script],
      );
      throw new InsufficientFundsError(dust + BigInt(size) * feePerByte - total);
    }
    const tx = buildUnsignedTx(request.utxos, [{ value: amount, script }]);
    const fee = sumAmounts(request.utxos.map((u) => u.value)) - amount;
    return {
      network,
      tx,
      spent: request.utxos,
      to: request.to.trim(),
      amount,
      fee,
      size: serializeTx(tx).length,
      change: 0n,
      outputs: [{ address: request.to.trim(), value: amount, isChange: false }],
    };
  }

  const amount = request.amount;
  if (amount === undefined || amount <= 0n) throw new AmountError('Enter an amount to send');
  assertNotDust(amount, script);
  const outputs: TxOutput[] = [{ value: amount, script }];
  const selection = selectCoins(request.utxos, outputs, {
    changeScript: request.changeScript,
    feePerByte,
  });
  const decoded: DecodedOutput[] = [{ address: request.to.trim(), value: amount, isChange: false }];
  if (selection.change > 0n) {
    outputs.push({ value: selection.change, script: request.changeScript });
    decoded.push({ address: changeAddress, value: selection.change, isChange: true });
  }
  const tx = buildUnsignedTx(selection.inputs, outputs);
  return {
    network,
    tx,
    spent: selection.inputs,
    to: request.to.trim(),
    amount,
    fee: selection.fee,
    size: selection.size,
    change: selection.change,
    outputs: decoded,
  };
}

export interface SignedSend {
  tx: Transaction;
  raw: Uint8Array;
  rawHex: string;
  txid: string;
}

/**
 * Signs a plan and checks the result locally (scripts, then policy including the relay fee).
 * @throws SendError if the local verifier or the policy refuses it.
 */
export function signSend(
  plan: SendPlan,
  keyFor: (script: Uint8Array) => Uint8Array | undefined,
  replay: { active: boolean },
): SignedSend {
  const signed = signTransaction(plan.tx, plan.spent, keyFor, { network: plan.network, replay });
  const verdict = verifyTransaction(signed, plan.spent, { replay });
  if (!verdict.ok)
    throw new SendError(`Local verification failed (${verdict.reason}): ${verdict.message}`);
  assertStandard(signed, plan.fee);
  const raw = serializeTx(signed);
  return { tx: signed, raw, rawHex: bytesToHex(raw), txid: txid(signed) };
}
