/**
 * Sign what you see: every member checks a proposed spend against its own copy of the vault and
 * recomputes each input's sighash locally from the full unsigned transaction and the outputs it
 * spends. Nothing received as a hash is ever signed. The summary (amounts, destinations, fee) is
 * what the wallet shows before the member approves.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { encodeAddress } from '../chain/address.ts';
import { checkTransaction } from '../chain/interpreter.ts';
import {
  MAX_OP_RETURN_SCRIPT,
  MIN_RELAY_FEE_PER_BYTE,
  type PolicyViolation,
  findPolicyViolation,
} from '../chain/policy.ts';
import {
  type LotusTxData,
  SIGHASH_ALL,
  SIGHASH_LOTUS,
  type ReplayProtection,
  precomputeLotus,
  sighashLotusAll,
  withForkValue,
} from '../chain/sighash.ts';
import { classifyScript } from '../chain/templates.ts';
import { type Transaction, sumAmounts, txSize, txid } from '../chain/transaction.ts';
import { type UnsignedSpend, parseUnsignedSpend } from '../chain/unsigned-spend.ts';
import { formatXpi } from '../wallet/amount.ts';
import type { Vault } from '../wallet/vault.ts';
import { ProposalRefusedError } from './errors.ts';
import { MAX_SESSION_INPUTS } from './messages.ts';
import { maxScriptSigBytes } from '../wallet/vault-spend.ts';
import { sighashDigest } from './transcript.ts';

/** A Taproot key-path input's scriptSig: one push of the 64-byte signature and the hash type. */
export { KEYPATH_SCRIPTSIG_BYTES } from '../wallet/vault-spend.ts';

export interface Payment {
  /** The destination as an XAddress, when the script has one. */
  address?: string;
  script: string;
  sats: bigint;
  opReturn?: string;
}

/** What a member is shown before approving. */
export interface SpendSummary {
  vaultId: string;
  txid: string;
  inputCount: number;
  inputTotal: bigint;
  /** Outputs that leave the vault. */
  payments: Payment[];
  /** Value returned to the vault's own address. */
  change: bigint;
  feeSats: bigint;
  /** Fee per byte of the final signed transaction. */
  feeRate: number;
}

export interface CheckedSpend {
  spend: UnsignedSpend;
  /** One SIGHASH_LOTUS digest per input, computed here. */
  sighashes: Uint8Array[];
  sighashDigest: Uint8Array;
  replay: ReplayProtection;
  /**
   * The spend's per-transaction sighash parts, computed once: the other replay side's and every
   * leaf's sighashes reuse them (replay-attempts.ts, signing-path.ts). Absent: computed there.
   */
  txData?: LotusTxData;
  summary: SpendSummary;
}

export interface SpendLimits {
  /** Refuse proposals paying more than this many sats per byte (default 1,000: 1000× relay). */
  maxFeeRate?: number;
  /**
   * Refuse spends with more outputs than this. The signing service always applies
   * MAX_SESSION_OUTPUTS to proposals; a bare check (a wallet's own summary) has no cap.
   */
  maxOutputs?: number;
}

function refuse(reason: string, message: string): never {
  throw new ProposalRefusedError(reason, message);
}

/** The signed transaction's shape: every input carries a scriptSig of this size (size only). */
function finalShape(tx: Transaction, scriptSigBytes: number): Transaction {
  const scriptSig = new Uint8Array(scriptSigBytes);
  return { ...tx, inputs: tx.inputs.map((input) => ({ ...input, scriptSig })) };
}

const xpi = (sats: bigint) => `${formatXpi(sats)} XPI`;

/**
 * Refuses what lotusd's relay policy would reject once signed (policy.ts), in words a member can
 * act on: a session every member signs and the network then drops wastes everyone's approval.
 */
function refusePolicy(v: PolicyViolation, tx: Transaction, vault: Vault): never {
  const outputName = (i: number) => {
    const script = tx.outputs[i]?.script ?? new Uint8Array();
    if (bytesToHex(script) === bytesToHex(vault.script))
      return `The change to the vault (output ${i})`;
    try {
      return `The payment to ${encodeAddress(script, vault.network)} (output ${i})`;
    } catch {
      return `Output ${i}`;
    }
  };
  switch (v.reason) {
    case 'dust':
      return refuse(
        'dust',
        `${outputName(v.output)} pays ${xpi(v.value)}, below the network's dust limit of ${xpi(v.threshold)}`,
      );
    case 'fee':
      return refuse(
        'fee-too-low',
        `The fee of ${xpi(v.fee)} is below the network's minimum of ${xpi(v.minimum)} for this ${v.size}-byte transaction (${MIN_RELAY_FEE_PER_BYTE} sat per byte)`,
      );
    case 'multi-op-return':
      return refuse(
        'op-return',
        `The spend has ${v.count} OP_RETURN outputs; the network relays at most ${v.limit}`,
      );
    case 'scriptpubkey':
      return v.opReturnSize === undefined
        ? refuse('nonstandard-output', `Output ${v.output} has a script the network does not relay`)
        : refuse(
            'op-return',
            `OP_RETURN output ${v.output} is ${v.opReturnSize} bytes; the network relays at most ${MAX_OP_RETURN_SCRIPT}`,
          );
    case 'tx-size':
      return refuse(
        'tx-size',
        `The signed transaction would be ${v.size.toLocaleString('en')} bytes; the network relays at most ${v.limit.toLocaleString('en')}`,
      );
    case 'tx-size-small':
      return refuse(
        'tx-size',
        `The signed transaction would be ${v.size} bytes; the network requires at least ${v.limit}`,
      );
    case 'version':
      return refuse('tx-version', `Transaction version ${v.version} is not relayed`);
  }
}

/**
 * Checks a proposed spend for `vault` and computes its sighashes.
 * Relay policy is checked on the signed transaction's size (each input with its 66-byte key-path
 * scriptSig, or with `options.leaves` the largest leaf spend's), so what every member signs is
 * what the network accepts.
 * The work is linear in the spend's size: at most MAX_SESSION_INPUTS inputs (and
 * `limits.maxOutputs` outputs), and the per-transaction sighash parts are hashed once.
 * @throws ProposalRefusedError with a reason code: malformed-spend, wrong-network, too-many-inputs,
 *   too-many-outputs, foreign-input, hash-type, invalid-tx, outputs-exceed-inputs, and lotusd's
 *   relay policy: dust, fee-too-low, op-return, tx-size, tx-version, nonstandard-output; then
 *   fee-too-high.
 */
export function checkSpend(
  vault: Vault,
  spendBytes: Uint8Array,
  replayProtection: boolean,
  limits: SpendLimits = {},
  options: { leaves?: boolean } = {},
): CheckedSpend {
  let spend: UnsignedSpend;
  try {
    spend = parseUnsignedSpend(spendBytes);
  } catch (err) {
    refuse('malformed-spend', `The proposed spend cannot be read: ${(err as Error).message}`);
  }
  if (spend.network.name !== vault.network.name)
    refuse(
      'wrong-network',
      `The spend is for ${spend.network.name}, the vault for ${vault.network.name}`,
    );
  const inputs = spend.tx.inputs.length;
  if (inputs === 0 || inputs > MAX_SESSION_INPUTS)
    refuse('too-many-inputs', `A session signs 1 to ${MAX_SESSION_INPUTS} inputs`);
  const maxOutputs = limits.maxOutputs ?? Number.POSITIVE_INFINITY;
  if (spend.tx.outputs.length > maxOutputs)
    refuse('too-many-outputs', `A session pays at most ${maxOutputs} outputs`);
  // Every input must be the vault's own output: the session produces a complete transaction, and a
  // member never signs for coins it cannot see are the vault's.
  const vaultScript = bytesToHex(vault.script);
  spend.spent.forEach((out, i) => {
    if (bytesToHex(out.script) !== vaultScript)
      refuse('foreign-input', `Input ${i} does not spend from this vault`);
  });
  const expectedType = withForkValue(SIGHASH_ALL | SIGHASH_LOTUS, vault.network.forkValue);
  if (spend.hashType !== expectedType)
    refuse('hash-type', 'Vault spends are signed with SIGHASH_ALL|SIGHASH_LOTUS only');
  try {
    checkTransaction(spend.tx);
  } catch (err) {
    refuse('invalid-tx', (err as Error).message);
  }
  const inputTotal = sumAmounts(spend.spent.map((o) => o.value));
  const outputTotal = sumAmounts(spend.tx.outputs.map((o) => o.value));
  if (outputTotal > inputTotal) refuse('outputs-exceed-inputs', 'Outputs exceed inputs');
  const feeSats = inputTotal - outputTotal;
  // Priced for the largest path the proposal allows: a leaf spend is bigger than the key path.
  const final = finalShape(spend.tx, maxScriptSigBytes(vault, options.leaves ?? false));
  const violation = findPolicyViolation(final, feeSats);
  if (violation) refusePolicy(violation, spend.tx, vault);
  const finalSize = txSize(final);
  const feeRate = Number(feeSats) / finalSize;
  if (feeRate > (limits.maxFeeRate ?? 1000))
    refuse('fee-too-high', `Fee of ${feeSats} sats (${feeRate.toFixed(1)} sat/byte) is too high`);

  const replay: ReplayProtection = { active: replayProtection };
  const txData = precomputeLotus(spend.tx, spend.spent);
  const sighashes = sighashLotusAll(
    spend.tx,
    spend.spent,
    spend.hashType,
    undefined,
    replay,
    txData,
  );
  let change = 0n;
  const payments: Payment[] = [];
  for (const out of spend.tx.outputs) {
    if (bytesToHex(out.script) === vaultScript) {
      change += out.value;
      continue;
    }
    const payment: Payment = { script: bytesToHex(out.script), sats: out.value };
    if (classifyScript(out.script).type === 'op_return')
      payment.opReturn = bytesToHex(out.script.subarray(1));
    else {
      try {
        payment.address = encodeAddress(out.script, vault.network);
      } catch {
        // A script without an address form is shown as hex.
      }
    }
    payments.push(payment);
  }
  return {
    spend,
    sighashes,
    sighashDigest: sighashDigest(sighashes),
    replay,
    txData,
    summary: {
      vaultId: vault.id,
      txid: txid(spend.tx),
      inputCount: inputs,
      inputTotal,
      payments,
      change,
      feeSats,
      feeRate,
    },
  };
}
