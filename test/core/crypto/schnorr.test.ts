import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import {
  SigningKey,
  getPublicKey,
  schnorrSign,
  schnorrSignRfc6979,
  schnorrVerify,
} from '../../../src/core/crypto/index.ts';
import { loadVectors } from '../../fixtures/vectors.ts';

interface SignRow {
  seckey: string;
  pubkey: string;
  msg: string;
  sig: string;
}
interface VerifyRow {
  name: string;
  pubkey: string;
  msg: string;
  sig: string;
  valid: boolean;
}

const h = hexToBytes;
const generated = loadVectors<{ sign: SignRow[]; verify: VerifyRow[] }>('generated/schnorr.json');
const node = loadVectors<{
  bch_compact: VerifyRow[];
  deterministic_sign: {
    seckey: string;
    pubkey_compressed: string;
    pubkey_uncompressed: string;
    msg: string;
    sig: string;
  }[];
}>('lotusd-extracted/schnorr.json');

describe('Lotus Schnorr', () => {
  it.each(generated.sign)('reproduces the deterministic signature for $msg', (row) => {
    const sk = hexToBytes(row.seckey);
    expect(bytesToHex(getPublicKey(sk))).toBe(row.pubkey);
    expect(bytesToHex(schnorrSignRfc6979(hexToBytes(row.msg), sk))).toBe(row.sig);
    expect(schnorrVerify(hexToBytes(row.sig), hexToBytes(row.msg), hexToBytes(row.pubkey))).toBe(
      true,
    );
  });

  it.each(generated.verify)('verifies generated row $name as lotusd does', (row) => {
    expect(schnorrVerify(hexToBytes(row.sig), hexToBytes(row.msg), hexToBytes(row.pubkey))).toBe(
      row.valid,
    );
  });

  it.each(node.bch_compact)("verifies the node's spec vector $name", (row) => {
    expect(schnorrVerify(hexToBytes(row.sig), hexToBytes(row.msg), hexToBytes(row.pubkey))).toBe(
      row.valid,
    );
  });

  it.each(node.deterministic_sign)('matches CKey::SignSchnorr for $msg', (row) => {
    const sig = schnorrSignRfc6979(hexToBytes(row.msg), hexToBytes(row.seckey));
    expect(bytesToHex(sig)).toBe(row.sig);
    expect(schnorrVerify(sig, hexToBytes(row.msg), hexToBytes(row.pubkey_uncompressed))).toBe(true);
  });

  it('signs with fresh randomness by default, and every signature verifies', () => {
    const row = generated.sign[0] as SignRow;
    const msg = hexToBytes(row.msg);
    const a = schnorrSign(msg, hexToBytes(row.seckey));
    const b = schnorrSign(msg, hexToBytes(row.seckey));
    expect(bytesToHex(a)).not.toBe(bytesToHex(b));
    expect(schnorrVerify(a, msg, hexToBytes(row.pubkey))).toBe(true);
    expect(schnorrVerify(b, msg, hexToBytes(row.pubkey))).toBe(true);
  });

  it('signs with a SigningKey exactly as with the raw key', () => {
    const row = generated.sign[0] as SignRow;
    const msg = hexToBytes(row.msg);
    const aux = new Uint8Array(32).fill(7);
    const key = new SigningKey(hexToBytes(row.seckey));
    expect(bytesToHex(key.publicKey)).toBe(row.pubkey);
    const sig = schnorrSign(msg, key, aux);
    expect(bytesToHex(sig)).toBe(bytesToHex(schnorrSign(msg, hexToBytes(row.seckey), aux)));
    expect(schnorrVerify(sig, msg, key.publicKey)).toBe(true);
  });

  it('keeps verifying exactly as keys get cached, tabled and evicted', () => {
    // More keys than the table cap, each used past the table threshold, then a sweep past the
    // parsed-key cache: every valid signature verifies and every forged one fails throughout.
    const keys = Array.from({ length: 40 }, (_, i) => h((i + 1).toString(16).padStart(64, '0')));
    const msg = h('5a'.repeat(32));
    const other = h('5b'.repeat(32));
    for (let round = 0; round < 5; round++) {
      for (const sk of keys) {
        const pub = getPublicKey(sk);
        const sig = schnorrSign(msg, sk);
        expect(schnorrVerify(sig, msg, pub)).toBe(true);
        expect(schnorrVerify(sig, other, pub)).toBe(false);
        const uncompressed = secp256k1.Point.fromBytes(pub).toBytes(false);
        expect(schnorrVerify(sig, msg, uncompressed)).toBe(true);
      }
    }
    for (let i = 0; i < 300; i++) getPublicKey(h((1000 + i).toString(16).padStart(64, '0')));
    for (let i = 0; i < 300; i++) {
      const sk = h((1000 + i).toString(16).padStart(64, '0'));
      expect(schnorrVerify(schnorrSign(msg, sk), msg, getPublicKey(sk))).toBe(true);
    }
    const first = keys[0] as Uint8Array;
    expect(schnorrVerify(schnorrSign(msg, first), msg, getPublicKey(first))).toBe(true);
    expect(schnorrVerify(schnorrSign(msg, first), msg, getPublicKey(keys[1]!))).toBe(false);
  });

  it('rejects every single-bit flip of a valid signature', () => {
    const row = generated.sign[1] as SignRow;
    const sig = hexToBytes(row.sig);
    for (let bit = 0; bit < 512; bit += 7) {
      const flipped = sig.slice();
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(schnorrVerify(flipped, hexToBytes(row.msg), hexToBytes(row.pubkey))).toBe(false);
    }
  });

  it('returns false (never throws) for malformed lengths and off-curve keys', () => {
    const row = generated.sign[0] as SignRow;
    const [sig, msg, pub] = [hexToBytes(row.sig), hexToBytes(row.msg), hexToBytes(row.pubkey)];
    expect(schnorrVerify(sig.subarray(1), msg, pub)).toBe(false);
    expect(schnorrVerify(sig, msg.subarray(1), pub)).toBe(false);
    expect(schnorrVerify(sig, msg, pub.subarray(1))).toBe(false);
    expect(schnorrVerify(sig, msg, hexToBytes('02' + 'ff'.repeat(32)))).toBe(false);
  });

  it('refuses secret keys that are zero, ≥ n or the wrong length', () => {
    const msg = new Uint8Array(32);
    for (const bad of [new Uint8Array(32), hexToBytes('ff'.repeat(32)), new Uint8Array(31)]) {
      expect(() => schnorrSign(msg, bad)).toThrow(
        expect.objectContaining({ name: 'InvalidInputError' }),
      );
    }
  });
});
