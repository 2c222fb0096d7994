/**
 * lotusd's relay policy (IsStandardTx, the dust rule and the minimum relay fee) as pure functions,
 * so every path that builds a transaction can refuse what the node would refuse before anyone
 * signs. The numbers live in network.ts (`RELAY_POLICY`), each with its lotusd line.
 */
import { ChainError } from './errors.ts';
import { RELAY_POLICY } from './network.ts';
import { OP } from './opcodes.ts';
import { classifyScript } from './templates.ts';
import { type Transaction, type TxOutput, serializeOutput, txSize } from './transaction.ts';

/** validation.h:70: 1,000 sats per kB is exactly 1 sat per byte (feerate.cpp:36). */
export const MIN_RELAY_FEE_PER_BYTE = RELAY_POLICY.minRelayFeePerKb / 1000n;
export const MAX_STANDARD_TX_SIZE = RELAY_POLICY.maxStandardTxSize;
export const MIN_TX_SIZE = RELAY_POLICY.minTxSize;
export const MAX_OP_RETURN_SCRIPT = RELAY_POLICY.maxOpReturnScript;
export const MAX_OP_RETURN_OUTPUTS = RELAY_POLICY.maxOpReturnOutputs;
export const STANDARD_VERSIONS = RELAY_POLICY.standardVersions;

/**
 * What lotusd's policy refuses, with the numbers a caller needs to explain it. `reason` is the
 * node's reject reason where it has one ('fee' is its "min relay fee not met", 'tx-size-small'
 * its "bad-txns-undersize").
 */
export type PolicyViolation =
  | { reason: 'version'; version: number }
  | { reason: 'tx-size'; size: number; limit: number }
  | { reason: 'tx-size-small'; size: number; limit: number }
  | { reason: 'scriptpubkey'; output: number; opReturnSize?: number }
  | { reason: 'dust'; output: number; value: bigint; threshold: bigint }
  | { reason: 'multi-op-return'; count: number; limit: number }
  | { reason: 'fee'; fee: bigint; minimum: bigint; size: number };

export class PolicyError extends ChainError {
  override name = 'PolicyError';
  readonly reason: string;
  /** The numbers behind the refusal, when it came from `findPolicyViolation`. */
  readonly violation?: PolicyViolation;
  constructor(reason: string, message: string, violation?: PolicyViolation) {
    super(message);
    this.reason = reason;
    if (violation) this.violation = violation;
  }
}

/**
 * `CFeeRate::GetFee` (feerate.cpp:24-49): the rate times the size, truncated, but never zero for
 * a non-empty size at a positive rate.
 */
export function feeAtRate(satsPerKb: bigint, size: number): bigint {
  const fee = (BigInt(size) * satsPerKb) / 1000n;
  return fee === 0n && size !== 0 && satsPerKb > 0n ? 1n : fee;
}

/** `CScript::IsUnspendable` (script/script.h:650-653): no dust limit applies to such outputs. */
function isUnspendable(script: Uint8Array): boolean {
  return (
    (script.length > 0 && script[0] === OP.OP_RETURN) || script.length > RELAY_POLICY.maxScriptSize
  );
}

/**
 * Dust threshold of one output, lotusd's `GetDustThreshold` (policy/policy.cpp:14-32) at the
 * default dust relay fee: 3 × (serialized output size + 148) sats. P2PKH 546, Taproot 579, Taproot
 * with state 678; unspendable (OP_RETURN) outputs 0.
 */
export function dustThreshold(output: Pick<TxOutput, 'script'>): bigint {
  if (isUnspendable(output.script)) return 0n;
  const size =
    serializeOutput({ value: 0n, script: output.script }).length + RELAY_POLICY.dustSpendInputBytes;
  return RELAY_POLICY.dustFeeMultiple * feeAtRate(RELAY_POLICY.dustRelayFeePerKb, size);
}

/** `IsDust` (policy/policy.cpp:34-36). */
export function isDust(output: TxOutput): boolean {
  return output.value < dustThreshold(output);
}

/** The minimum fee a relay accepts for a transaction of `size` bytes (validation.cpp:625). */
export function minRelayFee(size: number): bigint {
  return feeAtRate(RELAY_POLICY.minRelayFeePerKb, size);
}

/**
 * The first rule of lotusd's relay policy `tx` breaks, in the node's order (IsStandardTx,
 * policy/policy.cpp:69-121, then the size floor and the minimum relay fee), or undefined.
 * `fee` (when known) must meet the relay minimum for the transaction's size.
 */
export function findPolicyViolation(tx: Transaction, fee?: bigint): PolicyViolation | undefined {
  if (!STANDARD_VERSIONS.includes(tx.version)) return { reason: 'version', version: tx.version };
  const size = txSize(tx);
  if (size > MAX_STANDARD_TX_SIZE) return { reason: 'tx-size', size, limit: MAX_STANDARD_TX_SIZE };
  if (size < MIN_TX_SIZE) return { reason: 'tx-size-small', size, limit: MIN_TX_SIZE };
  let opReturns = 0;
  for (const [i, output] of tx.outputs.entries()) {
    const type = classifyScript(output.script).type;
    if (type === 'op_return') {
      opReturns++;
      if (output.script.length > MAX_OP_RETURN_SCRIPT)
        return { reason: 'scriptpubkey', output: i, opReturnSize: output.script.length };
    } else if (type === 'nonstandard') {
      return { reason: 'scriptpubkey', output: i };
    } else if (isDust(output)) {
      return { reason: 'dust', output: i, value: output.value, threshold: dustThreshold(output) };
    }
  }
  if (opReturns > MAX_OP_RETURN_OUTPUTS)
    return { reason: 'multi-op-return', count: opReturns, limit: MAX_OP_RETURN_OUTPUTS };
  if (fee !== undefined && fee < minRelayFee(size))
    return { reason: 'fee', fee, minimum: minRelayFee(size), size };
  return undefined;
}

function describe(v: PolicyViolation): string {
  switch (v.reason) {
    case 'version':
      return `Version ${v.version} is not standard`;
    case 'tx-size':
      return `Transaction is ${v.size} bytes; the limit is ${v.limit.toLocaleString('en')}`;
    case 'tx-size-small':
      return `Transaction is ${v.size} bytes; the minimum is ${v.limit}`;
    case 'scriptpubkey':
      return v.opReturnSize === undefined
        ? `Output ${v.output} has a non-standard script`
        : `OP_RETURN output ${v.output} is ${v.opReturnSize} bytes; the limit is ${MAX_OP_RETURN_SCRIPT}`;
    case 'dust':
      return `Output ${v.output} (${v.value} sats) is below the dust threshold of ${v.threshold}`;
    case 'multi-op-return':
      return `At most ${v.limit} OP_RETURN outputs`;
    case 'fee':
      return `Fee ${v.fee} sats is below the relay minimum of ${v.minimum} for ${v.size} bytes`;
  }
}

/**
 * Checks the standardness rules a wallet can hit. `fee` (when known) must meet the relay minimum.
 * @throws PolicyError with a reason code: version, tx-size, tx-size-small, scriptpubkey, dust,
 *   multi-op-return, fee; its `violation` carries the numbers.
 */
export function assertStandard(tx: Transaction, fee?: bigint): void {
  const violation = findPolicyViolation(tx, fee);
  if (violation) throw new PolicyError(violation.reason, describe(violation), violation);
}
