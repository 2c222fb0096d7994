import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { sha256d } from '../crypto/hash.ts';
import { ByteReader, ByteWriter } from './bytes.ts';
import { AmountError, DecodeError } from './errors.ts';
import { merkleRoot } from './merkle.ts';

/** 1 XPI = 1,000,000 sats. */
export const SATS_PER_XPI = 1_000_000n;
/** MAX_MONEY: 2.1 billion XPI. */
export const MAX_MONEY = 2_100_000_000n * SATS_PER_XPI;

export interface OutPoint {
  /** The previous transaction's id in internal byte order (the reverse of its display hex). */
  txid: Uint8Array;
  vout: number;
}

export interface TxInput {
  prevout: OutPoint;
  scriptSig: Uint8Array;
  sequence: number;
}

export interface TxOutput {
  /** Value in sats. */
  value: bigint;
  script: Uint8Array;
}

/** A Lotus transaction: the legacy Bitcoin layout, no witness. */
export interface Transaction {
  version: number;
  inputs: TxInput[];
  outputs: TxOutput[];
  locktime: number;
}

/** An output being spent, which every sighash needs (value and script). */
export type SpentOutput = TxOutput;

export function assertAmount(value: bigint, what = 'amount'): void {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_MONEY) {
    throw new AmountError(`${what} must be between 0 and MAX_MONEY sats`);
  }
}

/** Sum of amounts, refusing anything that leaves the money range. */
export function sumAmounts(values: bigint[], what = 'total'): bigint {
  let total = 0n;
  for (const v of values) {
    assertAmount(v);
    total += v;
    if (total > MAX_MONEY) throw new AmountError(`${what} exceeds MAX_MONEY`);
  }
  return total;
}

export function serializeOutput(output: TxOutput): Uint8Array {
  return new ByteWriter().u64(output.value).varBytes(output.script).finish();
}

export function serializeTx(tx: Transaction): Uint8Array {
  const w = new ByteWriter().i32(tx.version).compactSize(tx.inputs.length);
  for (const input of tx.inputs) {
    w.bytes(input.prevout.txid)
      .u32(input.prevout.vout)
      .varBytes(input.scriptSig)
      .u32(input.sequence);
  }
  w.compactSize(tx.outputs.length);
  for (const output of tx.outputs) w.u64(output.value).varBytes(output.script);
  return w.u32(tx.locktime).finish();
}

/** Parses a serialised transaction; truncated or trailing bytes throw DecodeError. */
export function parseTx(bytes: Uint8Array): Transaction {
  const r = new ByteReader(bytes);
  const version = r.i32();
  const inputCount = r.compactSize();
  if (inputCount > bytes.length / 41) throw new DecodeError('Input count larger than the data');
  const inputs: TxInput[] = [];
  for (let i = 0; i < inputCount; i++) {
    const txid = r.bytes(32);
    const vout = r.u32();
    const scriptSig = r.varBytes();
    inputs.push({ prevout: { txid, vout }, scriptSig, sequence: r.u32() });
  }
  const outputCount = r.compactSize();
  if (outputCount > bytes.length / 9) throw new DecodeError('Output count larger than the data');
  const outputs: TxOutput[] = [];
  for (let i = 0; i < outputCount; i++) {
    const value = r.u64();
    outputs.push({ value, script: r.varBytes() });
  }
  const locktime = r.u32();
  if (r.remaining !== 0)
    throw new DecodeError(`${r.remaining} trailing bytes after the transaction`);
  return { version, inputs, outputs, locktime };
}

export function txSize(tx: Transaction): number {
  return serializeTx(tx).length;
}

/** Merkle leaf of an input: H2(txid ‖ vout ‖ sequence). */
export function inputLeaf(input: TxInput): Uint8Array {
  return sha256d(
    new ByteWriter().bytes(input.prevout.txid).u32(input.prevout.vout).u32(input.sequence).finish(),
  );
}

/** Merkle leaf of an output: H2(value ‖ script). */
export function outputLeaf(output: TxOutput): Uint8Array {
  return sha256d(serializeOutput(output));
}

export function inputsMerkle(tx: Transaction) {
  return merkleRoot(tx.inputs.map(inputLeaf));
}

export function outputsMerkle(tx: Transaction) {
  return merkleRoot(tx.outputs.map(outputLeaf));
}

/**
 * The Lotus txid in internal byte order: H2(version ‖ inputs root ‖ height ‖ outputs root ‖
 * height ‖ locktime). Not H2 of the bytes: it ignores scriptSigs, so it is fixed before signing.
 */
export function txidBytes(tx: Transaction): Uint8Array {
  const ins = inputsMerkle(tx);
  const outs = outputsMerkle(tx);
  return sha256d(
    new ByteWriter()
      .i32(tx.version)
      .bytes(ins.root)
      .u8(ins.height)
      .bytes(outs.root)
      .u8(outs.height)
      .u32(tx.locktime)
      .finish(),
  );
}

/** The txid as wallets, explorers and Chronik display it (byte-reversed hex). */
export function txid(tx: Transaction): string {
  return bytesToHex(txidBytes(tx).slice().reverse());
}

/** Display-order txid hex → internal-order bytes for an outpoint. */
export function txidFromHex(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new DecodeError('txid must be 64 hex characters');
  return hexToBytes(hex).reverse();
}
