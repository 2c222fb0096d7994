import { ChainError } from './errors.ts';
import { classifyScript } from './templates.ts';
import { type Transaction, type TxOutput, serializeOutput, txSize } from './transaction.ts';

/** lotusd policy (enforced in blocks too: fRequireStandardConsensus). */
export const MIN_RELAY_FEE_PER_BYTE = 1n;
export const MAX_STANDARD_TX_SIZE = 100_000;
export const MIN_TX_SIZE = 100;
export const MAX_OP_RETURN_SCRIPT = 223;
export const MAX_OP_RETURN_OUTPUTS = 3;
export const STANDARD_VERSIONS = [1, 2];

export class PolicyError extends ChainError {
  override name = 'PolicyError';
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Dust threshold of one output: 3 × (serialized output size + 148). P2PKH 546, Taproot 579,
 * Taproot with state 678; OP_RETURN outputs are exempt (0).
 */
export function dustThreshold(output: Pick<TxOutput, 'script'>): bigint {
  if (classifyScript(output.script).type === 'op_return') return 0n;
  return 3n * BigInt(serializeOutput({ value: 0n, script: output.script }).length + 148);
}

export function isDust(output: TxOutput): boolean {
  return output.value < dustThreshold(output);
}

/** The minimum fee a relay accepts for a transaction of `size` bytes. */
export function minRelayFee(size: number): bigint {
  return BigInt(size) * MIN_RELAY_FEE_PER_BYTE;
}

/**
 * Checks the standardness rules a wallet can hit. `fee` (when known) must meet the relay minimum.
 * @throws PolicyError with a reason code: version, size, dust, op-return, multi-op-return, fee.
 */
export function assertStandard(tx: Transaction, fee?: bigint): void {
  if (!STANDARD_VERSIONS.includes(tx.version))
    throw new PolicyError('version', `Version ${tx.version} is not standard`);
  const size = txSize(tx);
  if (size > MAX_STANDARD_TX_SIZE)
    throw new PolicyError('tx-size', `Transaction is ${size} bytes; the limit is 100,000`);
  if (size < MIN_TX_SIZE)
    throw new PolicyError('tx-size-small', `Transaction is ${size} bytes; the minimum is 100`);
  let opReturns = 0;
  for (const [i, output] of tx.outputs.entries()) {
    const type = classifyScript(output.script).type;
    if (type === 'op_return') {
      opReturns++;
      if (output.script.length > MAX_OP_RETURN_SCRIPT) {
        throw new PolicyError(
          'scriptpubkey',
          `OP_RETURN output ${i} is ${output.script.length} bytes; the limit is 223`,
        );
      }
    } else if (type === 'nonstandard') {
      throw new PolicyError('scriptpubkey', `Output ${i} has a non-standard script`);
    } else if (isDust(output)) {
      throw new PolicyError(
        'dust',
        `Output ${i} (${output.value} sats) is below the dust threshold of ${dustThreshold(output)}`,
      );
    }
  }
  if (opReturns > MAX_OP_RETURN_OUTPUTS)
    throw new PolicyError('multi-op-return', 'At most 3 OP_RETURN outputs');
  if (fee !== undefined && fee < minRelayFee(size)) {
    throw new PolicyError(
      'fee',
      `Fee ${fee} sats is below the relay minimum of ${minRelayFee(size)} for ${size} bytes`,
    );
  }
}
