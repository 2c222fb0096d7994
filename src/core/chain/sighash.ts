import { sha256d } from '../crypto/hash.ts';
import { ByteWriter } from './bytes.ts';
import { SighashError } from './errors.ts';
import {
  type SpentOutput,
  type Transaction,
  inputsMerkle,
  outputLeaf,
  outputsMerkle,
  serializeOutput,
} from './transaction.ts';
import { merkleRoot } from './merkle.ts';

export const SIGHASH_ALL = 0x01;
export const SIGHASH_NONE = 0x02;
export const SIGHASH_SINGLE = 0x03;
export const SIGHASH_FORKID = 0x40;
export const SIGHASH_LOTUS = 0x60;
export const SIGHASH_ANYONECANPAY = 0x80;
const ALGORITHM_MASK = 0x60;
const BASE_MASK = 0x1f;

/** Spend types of SIGHASH_LOTUS: the Taproot key path, and every script-running spend. */
export const SPEND_TYPE_KEY_PATH = 0;
export const SPEND_TYPE_SCRIPT = 2;

/** What a script-running spend commits to (ScriptExecutionData). */
export interface ExecutionData {
  /** Opcode index of the last executed OP_CODESEPARATOR, or 0xffffffff for none. */
  codeSeparatorPos: number;
  /** H2(scriptPubKey) for bare scripts, H2(redeemScript) for P2SH, the tapleaf hash in tapscript. */
  executedScriptHash: Uint8Array;
}

/**
 * Replay protection (lotusd 11.4.14's kill-switch): once active, every sighash uses the 32-bit hash
 * type `((0xff0000 | (forkValue ^ 0xdead)) << 8) | lowByte`, where the fork value is bits 8–31 of
 * the hash type (0 on today's network; see `NetworkParams.forkValue`). Only the low byte is ever
 * appended to a signature.
 */
export interface ReplayProtection {
  active: boolean;
}

export const NO_REPLAY_PROTECTION: ReplayProtection = { active: false };

/** A 32-bit hash type from the signature's byte and the network's fork value. */
export function withForkValue(hashTypeByte: number, forkValue: number): number {
  return (((forkValue & 0xffffff) << 8) | (hashTypeByte & 0xff)) >>> 0;
}

/** The 32-bit hash type that is actually hashed. */
export function hashType32(
  hashType: number,
  replay: ReplayProtection = NO_REPLAY_PROTECTION,
): number {
  if (!replay.active) return hashType >>> 0;
  const forkValue = hashType >>> 8;
  return (((0xff0000 | ((forkValue ^ 0xdead) & 0xffffff)) << 8) | (hashType & 0xff)) >>> 0;
}

export function baseType(hashType: number): number {
  return hashType & BASE_MASK;
}

export function isLotusHashType(hashType: number): boolean {
  return (hashType & ALGORITHM_MASK) === SIGHASH_LOTUS;
}

export function isForkIdHashType(hashType: number): boolean {
  return (hashType & ALGORITHM_MASK) === SIGHASH_FORKID;
}

/**
 * The parts of a SIGHASH_LOTUS digest that depend only on the transaction and the outputs it
 * spends, not on the input being signed (lotusd's PrecomputedTransactionData). Computing them per
 * input makes signing or checking every input of a transaction cost inputs × (inputs + outputs)
 * hashes; computed once, it costs inputs + outputs. Bound to the very `tx` and `spentOutputs`
 * objects it was computed from: passing it with others throws.
 */
export interface LotusTxData {
  readonly tx: Transaction;
  readonly spentOutputs: readonly SpentOutput[];
  /** Merkle root of the spent outputs' leaves (lotusd hashes only the root, not the height). */
  readonly spentRoot: Uint8Array;
  readonly spentTotal: bigint;
  readonly outputTotal: bigint;
  readonly inputs: { root: Uint8Array; height: number };
  readonly outputs: { root: Uint8Array; height: number };
}

/**
 * Computes the per-transaction parts of SIGHASH_LOTUS once, for `sighashLotus`'s `precomputed`.
 * @throws SighashError if there is not exactly one spent output per input.
 * @example
 *   const data = precomputeLotus(tx, spent);
 *   const digests = tx.inputs.map((_, i) => sighashLotus(tx, i, spent, hashType, undefined,
 *     NO_REPLAY_PROTECTION, data));
 */
export function precomputeLotus(tx: Transaction, spentOutputs: SpentOutput[]): LotusTxData {
  if (spentOutputs.length !== tx.inputs.length)
    throw new SighashError('One spent output per input is required');
  return {
    tx,
    spentOutputs,
    spentRoot: merkleRoot(spentOutputs.map(outputLeaf)).root,
    // Plain sums, as lotusd's: its test vectors spend the null amount (−1).
    spentTotal: spentOutputs.reduce((s, o) => s + o.value, 0n),
    outputTotal: tx.outputs.reduce((s, o) => s + o.value, 0n),
    inputs: inputsMerkle(tx),
    outputs: outputsMerkle(tx),
  };
}

/**
 * SIGHASH_LOTUS (lotusd SignatureHashLotus). `execution` is required for every script-running
 * spend (spend type 2) and must be absent on the Taproot key path (spend type 0): the published
 * JS libraries always use spend type 0, which makes their P2PKH and script-path signatures invalid.
 * `precomputed` (from `precomputeLotus` for this same `tx` and `spentOutputs`) gives the same
 * digest without rehashing the whole transaction for every input.
 *
 * @throws SighashError for a bad base type, a SINGLE without matching output, missing data, or
 *   precomputed data of another transaction.
 */
export function sighashLotus(
  tx: Transaction,
  inputIndex: number,
  spentOutputs: SpentOutput[],
  hashType: number,
  execution?: ExecutionData,
  replay: ReplayProtection = NO_REPLAY_PROTECTION,
  precomputed?: LotusTxData,
): Uint8Array {
  const base = baseType(hashType);
  if (!isLotusHashType(hashType)) throw new SighashError('Not a SIGHASH_LOTUS hash type');
  if (base === 0 || (hashType & 0x1c) !== 0) throw new SighashError('Invalid base sighash type');
  const input = tx.inputs[inputIndex];
  const spent = spentOutputs[inputIndex];
  if (!input || !spent) throw new SighashError(`No input ${inputIndex} or its spent output`);
  if (spentOutputs.length !== tx.inputs.length)
    throw new SighashError('One spent output per input is required');
  if (precomputed && (precomputed.tx !== tx || precomputed.spentOutputs !== spentOutputs))
    throw new SighashError('Precomputed data belongs to another transaction');
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
  if (base === SIGHASH_SINGLE && inputIndex >= tx.outputs.length) {
    throw new SighashError('SIGHASH_SINGLE without a matching output cannot be signed');
  }

  const w = new ByteWriter().u32(hashType32(hashType, replay));
  const spendType = execution ? SPEND_TYPE_SCRIPT : SPEND_TYPE_KEY_PATH;
  w.bytes(
    sha256d(
      new ByteWriter()
        .u8(spendType)
        .bytes(input.prevout.txid)
        .u32(input.prevout.vout)
        .u32(input.sequence)
        .bytes(serializeOutput(spent))
        .finish(),
    ),
  );
  if (execution) {
    if (execution.executedScriptHash.length !== 32)
      throw new SighashError('executed script hash must be 32 bytes');
    w.u32(execution.codeSeparatorPos).bytes(execution.executedScriptHash);
  }
  if (!anyoneCanPay) {
    const spentRoot = precomputed?.spentRoot ?? merkleRoot(spentOutputs.map(outputLeaf)).root;
    const spentTotal = precomputed?.spentTotal ?? spentOutputs.reduce((s, o) => s + o.value, 0n);
    w.u32(inputIndex).bytes(spentRoot).u64(spentTotal);
  }
  if (base === SIGHASH_ALL)
    w.u64(precomputed?.outputTotal ?? tx.outputs.reduce((s, o) => s + o.value, 0n));
  w.i32(tx.version);
  if (!anyoneCanPay) {
    const ins = precomputed?.inputs ?? inputsMerkle(tx);
    w.bytes(ins.root).u8(ins.height);
  }
  if (base === SIGHASH_SINGLE)
    w.bytes(sha256d(serializeOutput(tx.outputs[inputIndex] as SpentOutput)));
  if (base === SIGHASH_ALL) {
    const outs = precomputed?.outputs ?? outputsMerkle(tx);
    w.bytes(outs.root).u8(outs.height);
  }
  w.u32(tx.locktime);
  return sha256d(w.finish());
}

/**
 * Every input's SIGHASH_LOTUS digest, with the per-transaction parts computed once
 * (`precomputed` may be passed when the caller already holds them).
 * @throws SighashError as `sighashLotus`.
 * @example
 *   const digests = sighashLotusAll(tx, spent, SIGHASH_ALL | SIGHASH_LOTUS);
 */
export function sighashLotusAll(
  tx: Transaction,
  spentOutputs: SpentOutput[],
  hashType: number,
  execution?: ExecutionData,
  replay: ReplayProtection = NO_REPLAY_PROTECTION,
  precomputed: LotusTxData = precomputeLotus(tx, spentOutputs),
): Uint8Array[] {
  return tx.inputs.map((_, i) =>
    sighashLotus(tx, i, spentOutputs, hashType, execution, replay, precomputed),
  );
}

/**
 * SIGHASH_FORKID: the BCH BIP143 digest (lotusd SignatureHashBIP143). `scriptCode` is the script
 * from the last executed OP_CODESEPARATOR; `amount` the spent value.
 */
export function sighashForkId(
  tx: Transaction,
  inputIndex: number,
  scriptCode: Uint8Array,
  amount: bigint,
  hashType: number,
  replay: ReplayProtection = NO_REPLAY_PROTECTION,
): Uint8Array {
  const input = tx.inputs[inputIndex];
  if (!input) throw new SighashError(`No input ${inputIndex}`);
  const base = baseType(hashType);
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
  const zero = new Uint8Array(32);
  const hashPrevouts = anyoneCanPay
    ? zero
    : sha256d(
        tx.inputs
          .reduce((w, i) => w.bytes(i.prevout.txid).u32(i.prevout.vout), new ByteWriter())
          .finish(),
      );
  const hashSequence =
    anyoneCanPay || base === SIGHASH_SINGLE || base === SIGHASH_NONE
      ? zero
      : sha256d(tx.inputs.reduce((w, i) => w.u32(i.sequence), new ByteWriter()).finish());
  let hashOutputs: Uint8Array = zero;
  if (base !== SIGHASH_SINGLE && base !== SIGHASH_NONE) {
    hashOutputs = sha256d(
      tx.outputs.reduce((w, o) => w.bytes(serializeOutput(o)), new ByteWriter()).finish(),
    );
  } else if (base === SIGHASH_SINGLE && inputIndex < tx.outputs.length) {
    hashOutputs = sha256d(serializeOutput(tx.outputs[inputIndex] as SpentOutput));
  }
  return sha256d(
    new ByteWriter()
      .i32(tx.version)
      .bytes(hashPrevouts)
      .bytes(hashSequence)
      .bytes(input.prevout.txid)
      .u32(input.prevout.vout)
      .varBytes(scriptCode)
      .u64(amount)
      .u32(input.sequence)
      .bytes(hashOutputs)
      .u32(tx.locktime)
      .u32(hashType32(hashType, replay))
      .finish(),
  );
}

export interface SighashOptions {
  /** Script-running spends: what was executed. Omit only for a Taproot key-path spend. */
  execution?: ExecutionData;
  /** FORKID needs the script code (defaults to the spent output's script). */
  scriptCode?: Uint8Array;
  replay?: ReplayProtection;
}

/** The right digest for a hash type: LOTUS (with the spend type implied by `execution`) or FORKID. */
export function sighash(
  tx: Transaction,
  inputIndex: number,
  spentOutputs: SpentOutput[],
  hashType: number,
  options: SighashOptions = {},
): Uint8Array {
  if (isLotusHashType(hashType)) {
    return sighashLotus(tx, inputIndex, spentOutputs, hashType, options.execution, options.replay);
  }
  if (isForkIdHashType(hashType)) {
    const spent = spentOutputs[inputIndex];
    if (!spent) throw new SighashError(`No spent output for input ${inputIndex}`);
    return sighashForkId(
      tx,
      inputIndex,
      options.scriptCode ?? spent.script,
      spent.value,
      hashType,
      options.replay,
    );
  }
  throw new SighashError('Lotus requires SIGHASH_FORKID or SIGHASH_LOTUS');
}
