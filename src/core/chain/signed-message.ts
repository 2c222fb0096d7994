/**
 * Signed messages in the format the Lotus JS libraries (bitcore-lib-xpi, xpi-ts `Message`) use:
 * double-SHA256 of `varint(len(magic)) ‖ magic ‖ varint(len(message)) ‖ message`, signed with
 * recoverable ECDSA and encoded as the 65-byte compact form (header 31–34: compressed key) in
 * base64. The signer's public key is recovered from the signature, so a verifier needs only the
 * message, the signature and the address (P2PKH or key-only Taproot) it claims to come from.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { tweakPublicKey } from '../crypto/index.ts';
import { secretKeyScalar } from '../crypto/curve.ts';
import { encodeAddress } from './address.ts';
import type { NetworkParams } from './network.ts';
import { p2pkhScript, taprootScript } from './templates.ts';
import { ByteWriter } from './bytes.ts';

export const MESSAGE_MAGIC = 'Bitcoin Signed Message:\n';
/** Longest message a wallet will sign: enough for any login challenge, small enough to show. */
export const MAX_MESSAGE_BYTES = 16 * 1024;
const COMPACT_COMPRESSED = 31;

export class SignedMessageError extends Error {
  override name = 'SignedMessageError';
}

/** The 32-byte digest that is actually signed. */
export function messageDigest(message: string): Uint8Array {
  const magic = utf8ToBytes(MESSAGE_MAGIC);
  const body = utf8ToBytes(message);
  if (body.length > MAX_MESSAGE_BYTES)
    throw new SignedMessageError(`Messages are limited to ${MAX_MESSAGE_BYTES} bytes`);
  return sha256(sha256(new ByteWriter().varBytes(magic).varBytes(body).finish()));
}

/** Signs `message`; returns the base64 compact signature. */
export function signMessage(message: string, secretKey: Uint8Array): string {
  secretKeyScalar(secretKey);
  const recovered = secp256k1.sign(messageDigest(message), secretKey, {
    prehash: false,
    lowS: true,
    format: 'recovered',
  });
  const compact = new Uint8Array(65);
  compact[0] = COMPACT_COMPRESSED + (recovered[0] as number);
  compact.set(recovered.subarray(1), 1);
  return base64.encode(compact);
}

/** The compressed public key that produced `signature` over `message`. */
export function recoverMessageKey(message: string, signature: string): Uint8Array {
  let compact: Uint8Array;
  try {
    compact = base64.decode(signature);
  } catch {
    throw new SignedMessageError('The signature is not base64');
  }
  const header = compact[0] ?? 0;
  if (compact.length !== 65 || header < 27 || header > 34)
    throw new SignedMessageError('The signature is not a 65-byte compact signature');
  const recovered = new Uint8Array(65);
  recovered[0] = (header - 27) & 3;
  recovered.set(compact.subarray(1), 1);
  try {
    return secp256k1.recoverPublicKey(recovered, messageDigest(message), { prehash: false });
  } catch {
    throw new SignedMessageError('No public key can be recovered from this signature');
  }
}

/** The addresses a key signs for: legacy P2PKH and the key-only Taproot address Petal uses. */
export function messageAddresses(publicKey: Uint8Array, network: NetworkParams): string[] {
  return [
    encodeAddress(p2pkhScript(ripemd160(sha256(publicKey))), network),
    encodeAddress(taprootScript(tweakPublicKey(publicKey)), network),
  ];
}

/** True if `signature` over `message` was made by the key behind `address`. */
export function verifyMessage(
  message: string,
  signature: string,
  address: string,
  network: NetworkParams,
): boolean {
  try {
    return messageAddresses(recoverMessageKey(message, signature), network).includes(address);
  } catch {
    return false;
  }
}
