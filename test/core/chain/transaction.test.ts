import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { sha256d } from '../../../src/core/crypto/hash.ts';
import { schnorrVerify } from '../../../src/core/crypto/index.ts';
import { sighash } from '../../../src/core/chain/sighash.ts';
import {
  type Transaction,
  inputsMerkle,
  outputLeaf,
  outputsMerkle,
  parseTx,
  serializeTx,
  txSize,
  txid,
  txidFromHex,
} from '../../../src/core/chain/transaction.ts';
import { merkleRoot } from '../../../src/core/chain/merkle.ts';
import { loadVectors } from '../../fixtures/vectors.ts';

interface Spend {
  id: string;
  unsigned_tx: string;
  spent_outputs: { value: number; script: string }[];
  inputs: {
    index: number;
    hashtype: number;
    preimage: string;
    sighash: string;
    signing_pubkey: string;
    sig_tx: string;
  }[];
  signed_tx: string;
  txid: string;
  size: number;
  fee: number;
}

const spends = loadVectors<{ spends: Spend[] }>('generated/taproot-keypath-spends.json').spends;
const misc = loadVectors<{ precompute_lotus_sighash: Record<string, string | number> }>(
  'lotusd-extracted/misc.json',
);
const display = (b: Uint8Array) => bytesToHex(b.slice().reverse());

describe('Lotus transactions', () => {
  it.each(spends)('$id: Lotus txid, size, fee, key-path sighashes and signatures', (spend) => {
    const unsigned = parseTx(hexToBytes(spend.unsigned_tx));
    const signed = parseTx(hexToBytes(spend.signed_tx));
    expect(bytesToHex(serializeTx(signed))).toBe(spend.signed_tx);
    // The txid ignores scriptSigs: known before signing, identical after.
    expect(txid(unsigned)).toBe(spend.txid);
    expect(txid(signed)).toBe(spend.txid);
    expect(txSize(signed)).toBe(spend.size);
    const spent = spend.spent_outputs.map((o) => ({
      value: BigInt(o.value),
      script: hexToBytes(o.script),
    }));
    const fee =
      spent.reduce((s, o) => s + o.value, 0n) - signed.outputs.reduce((s, o) => s + o.value, 0n);
    expect(fee).toBe(BigInt(spend.fee));
    for (const input of spend.inputs) {
      const digest = sighash(unsigned, Number(input.index), spent, Number(input.hashtype));
      expect(bytesToHex(sha256d(hexToBytes(input.preimage)))).toBe(input.sighash);
      expect(bytesToHex(digest)).toBe(input.sighash);
      const sig = hexToBytes(input.sig_tx);
      expect(sig.at(-1)).toBe(Number(input.hashtype));
      expect(schnorrVerify(sig.subarray(0, 64), digest, hexToBytes(input.signing_pubkey))).toBe(
        true,
      );
    }
  });

  it("reproduces lotusd's precomputed merkle roots and heights", () => {
    const v = misc.precompute_lotus_sighash;
    const txFrom: Transaction = {
      version: 2,
      inputs: [],
      outputs: [
        { value: 1000n, script: Uint8Array.of(0x51) },
        { value: 2000n, script: Uint8Array.of(0x52) },
      ],
      locktime: 0,
    };
    expect(txid(txFrom)).toBe(v.txFrom_txid);
    const from = txidFromHex(txid(txFrom));
    const txTo: Transaction = {
      version: 2,
      inputs: [
        { prevout: { txid: from, vout: 0 }, scriptSig: new Uint8Array(0), sequence: 0xfffffffe },
        { prevout: { txid: from, vout: 1 }, scriptSig: new Uint8Array(0), sequence: 0xffffffff },
      ],
      outputs: [3000n, 4000n, 5000n].map((value, i) => ({
        value,
        script: Uint8Array.of(0x53 + i),
      })),
      locktime: 0,
    };
    const ins = inputsMerkle(txTo);
    const outs = outputsMerkle(txTo);
    expect([display(ins.root), ins.height]).toEqual([v.inputs_merkle_root, v.inputs_merkle_height]);
    expect([display(outs.root), outs.height]).toEqual([
      v.outputs_merkle_root,
      v.outputs_merkle_height,
    ]);
    const spentRoot = merkleRoot(txFrom.outputs.map(outputLeaf));
    expect(display(spentRoot.root)).toBe(v.inputs_spent_outputs_merkle_root);
  });

  it('round-trips random transactions through serialize/parse', () => {
    for (let round = 0; round < 200; round++) {
      const rand = (n: number) => crypto.getRandomValues(new Uint8Array(n));
      const tx: Transaction = {
        version: round % 3,
        inputs: Array.from({ length: 1 + (round % 4) }, () => ({
          prevout: { txid: rand(32), vout: round * 7 },
          scriptSig: rand(round % 300),
          sequence: 0xffffffff - round,
        })),
        outputs: Array.from({ length: 1 + (round % 3) }, (_, i) => ({
          value: BigInt(round * 1000 + i),
          script: rand(25),
        })),
        locktime: round,
      };
      expect(parseTx(serializeTx(tx))).toEqual(tx);
    }
  });

  it('refuses truncated bytes, trailing bytes and impossible counts with DecodeError', () => {
    const raw = hexToBytes(spends[0]!.signed_tx);
    for (const cut of [0, 3, 5, 40, raw.length - 1]) {
      expect(() => parseTx(raw.subarray(0, cut))).toThrow(
        expect.objectContaining({ name: 'DecodeError' }),
      );
    }
    expect(() => parseTx(new Uint8Array([...raw, 0]))).toThrow(
      expect.objectContaining({ name: 'DecodeError' }),
    );
    expect(() => parseTx(hexToBytes('02000000fe00000001'))).toThrow(
      expect.objectContaining({ name: 'DecodeError' }),
    );
  });
});
