/**
 * The only places Lotus MuSig2 (as deployed by xpi-ts) and BIP327 MuSig2 over BIP340 differ.
 * The engine in musig2.ts does all the shared arithmetic and asks its context's scheme for these
 * rules, so BIP327's own vectors exercise the same code Lotus vaults sign with.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { type Point, bytesToInt, compress, hasSquareY, intTo32, mod } from './curve.ts';
import { InvalidInputError } from './errors.ts';
import { sha256, taggedHash } from './hash.ts';

export interface MuSigScheme {
  readonly name: 'lotus' | 'bip340';
  /** Lotus sorts the keys inside KeyAgg and refuses duplicates; BIP327 keeps the caller's order. */
  readonly sortsKeys: boolean;
  /** BIP327 gives the second distinct key coefficient 1; Lotus hashes one for every key. */
  readonly secondKeyShortcut: boolean;
  /** The signing key as the hashes see it: 33 bytes (Lotus) or x-only 32 bytes (BIP340). */
  keyBytes(Q: Point): Uint8Array;
  /** The nonce coefficient b. */
  nonceCoefficient(aggNonce: Uint8Array, keyBytes: Uint8Array, msg: Uint8Array): bigint;
  /** The rule a published R must meet; when it does not, every signer negates its nonce. */
  acceptsR(R: Point): boolean;
  /** The Schnorr challenge e. */
  challenge(rx: Uint8Array, keyBytes: Uint8Array, msg: Uint8Array): bigint;
  /** BIP340's g for the final key (−1 when its y is odd); always 1 on Lotus, which keeps 33 bytes. */
  keySign(Q: Point): 1n | -1n;
  /** Throws InvalidInputError for a message the scheme cannot sign. */
  checkMessage(msg: Uint8Array): void;
}

/** Lotus: b over cmp(S) ‖ R1 ‖ R2 ‖ m, R.y a quadratic residue, e = SHA256(R.x ‖ cmp(S) ‖ m). */
export const LOTUS: MuSigScheme = {
  name: 'lotus',
  sortsKeys: true,
  secondKeyShortcut: false,
  keyBytes: (Q) => compress(Q),
  nonceCoefficient: (aggNonce, key, msg) =>
    mod(
      bytesToInt(
        taggedHash('MuSig/noncecoef', key, aggNonce.subarray(0, 33), aggNonce.subarray(33), msg),
      ),
    ),
  acceptsR: (R) => hasSquareY(R),
  challenge: (rx, key, msg) => mod(bytesToInt(sha256(concatBytes(rx, key, msg)))),
  keySign: () => 1n,
  checkMessage(msg) {
    if (msg.length !== 32) throw new InvalidInputError('message must be 32 bytes');
  },
};

/**
 * BIP327 over BIP340, for conformance only: b over aggnonce ‖ x(Q) ‖ m, R.y even,
 * e = TH("BIP0340/challenge", R.x ‖ x(Q) ‖ m), messages of any length.
 */
export const BIP340: MuSigScheme = {
  name: 'bip340',
  sortsKeys: false,
  secondKeyShortcut: true,
  keyBytes: (Q) => intTo32(Q.toAffine().x),
  nonceCoefficient: (aggNonce, key, msg) =>
    mod(bytesToInt(taggedHash('MuSig/noncecoef', aggNonce, key, msg))),
  acceptsR: (R) => hasEvenY(R),
  challenge: (rx, key, msg) => mod(bytesToInt(taggedHash('BIP0340/challenge', rx, key, msg))),
  keySign: (Q) => (hasEvenY(Q) ? 1n : -1n),
  checkMessage() {},
};

export function hasEvenY(point: Point): boolean {
  return (point.toAffine().y & 1n) === 0n;
}

/** BIP340 verification of a final signature (noble's, which the BIP340 vectors cover). */
export function bip340Verify(sig: Uint8Array, msg: Uint8Array, xonlyKey: Uint8Array): boolean {
  return schnorr.verify(sig, msg, xonlyKey);
}
