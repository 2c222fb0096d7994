/**
 * ECDSA for legacy P2PKH inputs (lotusd accepts strict-DER, low-S ECDSA beside Schnorr). A thin
 * layer over noble: the message is the sighash itself (no prehash).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { InvalidInputError } from './errors.ts';
import { secretKeyScalar } from './curve.ts';

/** Sign a 32-byte sighash; returns a strict DER signature with low S (RFC6979 nonce). */
export function ecdsaSign(msg32: Uint8Array, secKey: Uint8Array): Uint8Array {
  if (msg32.length !== 32) throw new InvalidInputError('message must be 32 bytes');
  secretKeyScalar(secKey);
  return secp256k1.sign(msg32, secKey, { prehash: false, lowS: true, format: 'der' });
}

/** Verify a strict-DER, low-S signature; false (never a throw) for anything malformed. */
export function ecdsaVerify(der: Uint8Array, msg32: Uint8Array, pubKey: Uint8Array): boolean {
  try {
    return secp256k1.verify(der, msg32, pubKey, { prehash: false, lowS: true, format: 'der' });
  } catch {
    return false;
  }
}
