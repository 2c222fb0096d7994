import { bytesToHex } from '@noble/hashes/utils.js';
import { encodeAddress } from './address.ts';
import { ByteReader, ByteWriter } from './bytes.ts';
import { DecodeError } from './errors.ts';
import { type NetworkParams, networkByChar } from './network.ts';
import { classifyScript } from './templates.ts';
import {
  type SpentOutput,
  type Transaction,
  parseTx,
  serializeTx,
  sumAmounts,
  txid,
} from './transaction.ts';

/**
 * What co-signers are asked to sign, complete enough that each recomputes every sighash itself:
 * the unsigned transaction, the output each input spends (value and script) and the hash type.
 * Binary format, version 1: "PTSP" ‖ u8 version ‖ u8 network char ‖ u32 hashType ‖
 * varbytes(tx) ‖ cs(n) ‖ n × (u64 value ‖ varbytes(script)).
 */
export interface UnsignedSpend {
  network: NetworkParams;
  tx: Transaction;
  spent: SpentOutput[];
  /** The 32-bit hash type every input is signed with (e.g. ALL|LOTUS with the fork value). */
  hashType: number;
}

const MAGIC = new TextEncoder().encode('PTSP');
export const UNSIGNED_SPEND_VERSION = 1;
const MAX_SPEND_BYTES = 200_000;

export function serializeUnsignedSpend(spend: UnsignedSpend): Uint8Array {
  assertConsistent(spend);
  const w = new ByteWriter()
    .bytes(MAGIC)
    .u8(UNSIGNED_SPEND_VERSION)
    .u8(spend.network.addressChar.charCodeAt(0))
    .u32(spend.hashType)
    .varBytes(serializeTx(spend.tx))
    .compactSize(spend.spent.length);
  for (const out of spend.spent) w.u64(out.value).varBytes(out.script);
  return w.finish();
}

/** @throws DecodeError for anything truncated, oversized, inconsistent or of another version. */
export function parseUnsignedSpend(bytes: Uint8Array): UnsignedSpend {
  if (bytes.length > MAX_SPEND_BYTES) throw new DecodeError('Unsigned spend is too large');
  const r = new ByteReader(bytes);
  const magic = r.bytes(MAGIC.length);
  if (!MAGIC.every((b, i) => b === magic[i])) throw new DecodeError('Not a Petal unsigned spend');
  const version = r.u8();
  if (version !== UNSIGNED_SPEND_VERSION)
    throw new DecodeError(`Unsupported unsigned-spend version ${version}`);
  const network = networkByChar(String.fromCharCode(r.u8()));
  if (!network) throw new DecodeError('Unknown network in unsigned spend');
  const hashType = r.u32();
  const tx = parseTx(r.varBytes());
  const count = r.compactSize();
  if (count !== tx.inputs.length) throw new DecodeError('One spent output per input is required');
  const spent: SpentOutput[] = [];
  for (let i = 0; i < count; i++) spent.push({ value: r.u64(), script: r.varBytes() });
  if (r.remaining !== 0) throw new DecodeError('Trailing bytes after the unsigned spend');
  const spend = { network, tx, spent, hashType };
  assertConsistent(spend);
  return spend;
}

function assertConsistent(spend: UnsignedSpend): void {
  if (spend.spent.length !== spend.tx.inputs.length)
    throw new DecodeError('One spent output per input is required');
  if (spend.tx.inputs.some((i) => i.scriptSig.length > 0))
    throw new DecodeError('An unsigned spend has empty scriptSigs');
  sumAmounts(
    spend.spent.map((o) => o.value),
    'inputs',
  );
  sumAmounts(
    spend.tx.outputs.map((o) => o.value),
    'outputs',
  );
}

export interface SpendSummary {
  txid: string;
  inputTotal: bigint;
  outputs: { address?: string; opReturn?: string; value: bigint; script: string }[];
  fee: bigint;
}

/** What a member is shown before approving: every output decoded, and the fee. */
export function summarizeSpend(spend: UnsignedSpend): SpendSummary {
  const inputTotal = sumAmounts(
    spend.spent.map((o) => o.value),
    'inputs',
  );
  const outputTotal = sumAmounts(
    spend.tx.outputs.map((o) => o.value),
    'outputs',
  );
  if (outputTotal > inputTotal) throw new DecodeError('Outputs exceed inputs');
  return {
    txid: txid(spend.tx),
    inputTotal,
    fee: inputTotal - outputTotal,
    outputs: spend.tx.outputs.map((o) => {
      const type = classifyScript(o.script).type;
      const base = { value: o.value, script: bytesToHex(o.script) };
      if (type === 'op_return') return { ...base, opReturn: bytesToHex(o.script.subarray(1)) };
      try {
        return { ...base, address: encodeAddress(o.script, spend.network) };
      } catch {
        return base;
      }
    }),
  };
}
