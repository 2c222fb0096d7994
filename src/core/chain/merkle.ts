import { concatBytes } from '@noble/hashes/utils.js';
import { sha256d } from '../crypto/hash.ts';

/**
 * lotusd's merkle tree (src/consensus/merkle.cpp): pairs hashed with double SHA-256, an odd level
 * padded with 32 zero bytes (not by duplicating the last hash), height counting the leaf level as
 * 1. No leaves: root of zeros, height 0.
 */
export function merkleRoot(leaves: Uint8Array[]): { root: Uint8Array; height: number } {
  if (leaves.length === 0) return { root: new Uint8Array(32), height: 0 };
  let level = leaves;
  let height = 1;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(sha256d(concatBytes(level[i] as Uint8Array, level[i + 1] ?? new Uint8Array(32))));
    }
    level = next;
    height++;
  }
  return { root: level[0] as Uint8Array, height };
}
