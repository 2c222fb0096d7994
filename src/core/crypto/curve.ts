/**
 * The secp256k1 layer Lotus needs on top of noble: strict parsing, scalar conversions and the
 * quadratic-residue rule for R. No field arithmetic of our own: noble's Fp does it.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { InvalidInputError } from './errors.ts';

export const Point = secp256k1.Point;
export type Point = InstanceType<typeof secp256k1.Point>;
export const G = Point.BASE;
export const Fp = Point.Fp;
/** Group order n. */
export const N = Point.Fn.ORDER;
/** Field prime p. */
export const P = Fp.ORDER;

export function mod(a: bigint): bigint {
  const r = a % N;
  return r >= 0n ? r : r + N;
}

export function bytesToInt(bytes: Uint8Array): bigint {
  return bytesToNumberBE(bytes);
}

export function intTo32(value: bigint): Uint8Array {
  return numberToBytesBE(value, 32);
}

/** A 32-byte secret key as a scalar in [1, n−1]; anything else is refused. */
export function secretKeyScalar(secKey: Uint8Array, what = 'secret key'): bigint {
  if (!(secKey instanceof Uint8Array) || secKey.length !== 32) {
    throw new InvalidInputError(`${what} must be 32 bytes`);
  }
  const x = bytesToInt(secKey);
  if (x === 0n || x >= N) throw new InvalidInputError(`${what} is out of range`);
  return x;
}

/** Parses a 33-byte compressed (or 65-byte uncompressed) point; throws on anything invalid. */
export function parsePoint(bytes: Uint8Array, what = 'public key'): Point {
  if (!(bytes instanceof Uint8Array) || (bytes.length !== 33 && bytes.length !== 65)) {
    throw new InvalidInputError(`${what} must be 33 or 65 bytes`);
  }
  try {
    const point = Point.fromBytes(bytes);
    point.assertValidity();
    return point;
  } catch {
    throw new InvalidInputError(`${what} is not a point on secp256k1`);
  }
}

/** Parses a point that must be in 33-byte compressed form. */
export function parseCompressedPoint(bytes: Uint8Array, what = 'public key'): Point {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 33) {
    throw new InvalidInputError(`${what} must be 33 bytes (compressed)`);
  }
  return parsePoint(bytes, what);
}

export function compress(point: Point): Uint8Array {
  return point.toBytes(true);
}

/**
 * Lotus's rule for R: its y must be a quadratic residue mod p (Jacobi symbol 1), not "even" as
 * in BIP340. Euler's criterion: y^((p−1)/2) = 1.
 */
export function hasSquareY(point: Point): boolean {
  const { y } = point.toAffine();
  return Fp.pow(y, (P - 1n) / 2n) === 1n;
}
