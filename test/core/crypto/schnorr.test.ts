import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
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
