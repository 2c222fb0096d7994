import { describe, expect, it } from 'vitest';
import {
  Fp,
  G,
  N,
  P,
  hasAffineX,
  hasSquareY,
  jacobi,
  mod,
} from '../../../src/core/crypto/curve.ts';

/** Euler's criterion, the textbook definition the fast Jacobi loop must agree with. */
const euler = (a: bigint): -1 | 0 | 1 => {
  const r = Fp.pow(Fp.create(a), (P - 1n) / 2n);
  return r === 0n ? 0 : r === 1n ? 1 : -1;
};

const randomBelow = (m: bigint) => {
  const bytes = crypto.getRandomValues(new Uint8Array(40));
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n) % m;
};

describe('curve helpers', () => {
  it('computes the Jacobi symbol mod p exactly as Euler’s criterion does', () => {
    for (const a of [0n, 1n, 2n, 3n, 7n, P - 1n, P - 2n, P, P + 3n])
      expect(jacobi(a, P)).toBe(euler(a));
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const a = randomBelow(P);
      const j = jacobi(a, P);
      expect(j).toBe(euler(a));
      seen.add(j);
    }
    expect(seen).toEqual(new Set([1, -1]));
    expect(() => jacobi(3n, 10n)).toThrow(/odd positive/);
  });

  it('tests R.y for squareness and compares x on projective points without normalising', () => {
    let squares = 0;
    for (let i = 0; i < 300; i++) {
      // A sum has Z ≠ 1, so the projective shortcut is exercised, not just affine points.
      const R = G.multiply(mod(randomBelow(N)) || 1n).add(G.multiply(BigInt(i + 2)));
      expect(R.Z).not.toBe(1n);
      const { x, y } = R.toAffine();
      const square = euler(y) === 1;
      if (square) squares++;
      expect(hasSquareY(R)).toBe(square);
      expect(hasSquareY(R.negate())).toBe(!square); // −1 is a non-residue mod p
      expect(hasAffineX(R, x)).toBe(true);
      expect(hasAffineX(R, x + 1n)).toBe(false);
      expect(hasAffineX(R, x + P)).toBe(false);
    }
    expect(squares).toBeGreaterThan(100);
    expect(squares).toBeLessThan(200);
    expect(hasSquareY(G.subtract(G))).toBe(false);
  });
});
