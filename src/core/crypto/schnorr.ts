/**
 * Lotus Schnorr signatures (the 2019 BCH scheme, consensus in lotusd): NOT BIP340.
 * Challenge e = SHA256(R.x ‖ compressed P ‖ m) with no tag; valid iff s·G − e·P has x = R.x and a
 * y that is a quadratic residue; the signer negates k (not R) to get there.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Point } from './curve.ts';
import {
  G,
  N,
  P,
  bytesToInt,
  compress,
  hasAffineX,
  hasSquareY,
  intTo32,
  mod,
  parsePoint,
  secretKeyScalar,
} from './curve.ts';
import { InvalidInputError } from './errors.ts';
import { sha256, taggedHash } from './hash.ts';
import { hasTable, isPinned, tableFor } from './point-tables.ts';
import { type SecretKey, SigningKey, signingKeyOf } from './signing-key.ts';

function assertMessage(msg: Uint8Array): void {
  if (!(msg instanceof Uint8Array) || msg.length !== 32) {
    throw new InvalidInputError('message must be 32 bytes');
  }
}

/** The 33-byte compressed public key of a 32-byte secret key. */
export function getPublicKey(secKey: Uint8Array): Uint8Array {
  return new SigningKey(secKey).publicKey;
}

/** Lotus Schnorr challenge `e = int(SHA256(r ‖ cmp(P) ‖ m)) mod n` for a compressed key. */
export function schnorrChallenge(r32: Uint8Array, pubKey33: Uint8Array, msg32: Uint8Array): bigint {
  return mod(bytesToInt(sha256(concatBytes(r32, pubKey33, msg32))));
}

function signWithNonce(msg32: Uint8Array, x: bigint, k0: bigint, pub: Uint8Array): Uint8Array {
  const R = G.multiply(k0);
  // Negate k, not R: the published R must have a square y.
  const k = hasSquareY(R) ? k0 : N - k0;
  const r = intTo32(R.toAffine().x);
  const e = schnorrChallenge(r, pub, msg32);
  return concatBytes(r, intTo32(mod(k + e * x)));
}

/**
 * Sign a 32-byte message. The nonce mixes the key with 32 bytes of auxiliary randomness (fresh
 * from the CSPRNG unless given), BIP340-style, so a weak RNG alone cannot leak the key. A
 * SigningKey saves the x·G a raw key costs.
 *
 * @example
 *   const sig = schnorrSign(sighash, secKey);
 *   schnorrVerify(sig, sighash, getPublicKey(secKey)); // true
 */
export function schnorrSign(
  msg32: Uint8Array,
  secKey: SecretKey,
  auxRand?: Uint8Array,
): Uint8Array {
  assertMessage(msg32);
  const aux = auxRand ?? randomBytes(32);
  if (aux.length !== 32) throw new InvalidInputError('auxRand must be 32 bytes');
  const key = signingKeyOf(secKey);
  const x = key.scalar();
  const pub = key.publicKey;
  const masked = intTo32(x ^ bytesToInt(taggedHash('Petal/LotusSchnorr/aux', aux)));
  const k = mod(bytesToInt(taggedHash('Petal/LotusSchnorr/nonce', masked, pub, msg32)));
  if (k === 0n) throw new InvalidInputError('nonce is zero (negligible probability); retry');
  return signWithNonce(msg32, x, k, pub);
}

const RFC6979_ALGO = utf8ToBytes('Schnorr+SHA256  ');

/**
 * Deterministic signing exactly as lotusd's CKey::SignSchnorr (RFC6979 HMAC-SHA256 with the
 * "Schnorr+SHA256␣␣" algorithm tag, message not reduced). For reproducing the node's vectors;
 * the wallet signs with `schnorrSign`.
 */
export function schnorrSignRfc6979(
  msg32: Uint8Array,
  secKey: Uint8Array,
  extra?: Uint8Array,
): Uint8Array {
  assertMessage(msg32);
  const x = secretKeyScalar(secKey);
  const seed = concatBytes(intTo32(x), msg32, extra ?? new Uint8Array(0), RFC6979_ALGO);
  const mac = (key: Uint8Array, ...parts: Uint8Array[]) =>
    hmac(nobleSha256, key, concatBytes(...parts));
  let V = new Uint8Array(32).fill(1);
  let K = new Uint8Array(32);
  K = mac(K, V, Uint8Array.of(0), seed);
  V = mac(K, V);
  K = mac(K, V, Uint8Array.of(1), seed);
  V = mac(K, V);
  for (;;) {
    V = mac(K, V);
    const k = bytesToInt(V);
    if (k > 0n && k < N) return signWithNonce(msg32, x, k, compress(G.multiply(x)));
    K = mac(K, V, Uint8Array.of(0));
    V = mac(K, V);
  }
}

/**
 * Verify a Lotus Schnorr signature against a 33- or 65-byte public key. Never throws for a bad
 * signature or key: returns false. `s ≥ n` and `r ≥ p` are rejected, never reduced.
 */
export function schnorrVerify(sig64: Uint8Array, msg32: Uint8Array, pubKey: Uint8Array): boolean {
  if (!(sig64 instanceof Uint8Array) || sig64.length !== 64) return false;
  if (!(msg32 instanceof Uint8Array) || msg32.length !== 32) return false;
  const r = bytesToInt(sig64.subarray(0, 32));
  const s = bytesToInt(sig64.subarray(32));
  if (r >= P || s >= N) return false;
  let key: VerifyingKey;
  try {
    key = verifyingKey(pubKey);
  } catch {
    return false;
  }
  const Pk = keyPoint(key);
  const e = schnorrChallenge(sig64.subarray(0, 32), key.compressed, msg32);
  // R = s·G − e·P (G and, for keys seen often, P through precomputed tables).
  const R = G.multiplyUnsafe(s).add(Pk.multiplyUnsafe(mod(N - e)));
  return hasAffineX(R, r) && hasSquareY(R);
}

interface VerifyingKey {
  point: Point;
  compressed: Uint8Array;
  /** The compressed key in hex: its name in point-tables.ts. */
  id: string;
  uses: number;
}

/**
 * Keys seen recently, parsed once. Protocol envelopes come from a vault's member keys over and
 * over: a key pinned by an open session (see `pinTables`), or verified TABLE_AFTER_USES times,
 * goes through a shared multiplication table (point-tables.ts: bounded, least recently used out).
 */
const verifyingKeys = new Map<string, VerifyingKey>();
const VERIFYING_KEY_CACHE = 256;
const TABLE_AFTER_USES = 3;

function verifyingKey(pubKey: Uint8Array): VerifyingKey {
  const given = bytesToHex(pubKey);
  let key = verifyingKeys.get(given);
  if (key) {
    verifyingKeys.delete(given); // re-inserted below: most recently used last
  } else {
    const point = parsePoint(pubKey);
    const compressed = pubKey.length === 33 ? pubKey.slice() : compress(point);
    key = { point, compressed, id: bytesToHex(compressed), uses: 0 };
  }
  key.uses++;
  verifyingKeys.set(given, key);
  if (verifyingKeys.size > VERIFYING_KEY_CACHE)
    verifyingKeys.delete(verifyingKeys.keys().next().value as string);
  return key;
}

function keyPoint(key: VerifyingKey): Point {
  const wanted = key.uses >= TABLE_AFTER_USES || isPinned(key.id) || hasTable(key.id);
  return (wanted && tableFor(key.id, key.point)) || key.point;
}
