import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  type TapTree,
  addScalar,
  buildScriptTree,
  controlBlock,
  tapTweakHash,
  tweakPublicKey,
  tweakSecretKey,
  getPublicKey,
  verifyTaprootCommitment,
} from '../../../src/core/crypto/index.ts';
import { loadVectors } from '../../fixtures/vectors.ts';

interface KeyOnly {
  internal_seckey: string;
  internal_pubkey: string;
  tweak: string;
  commitment: string;
  tweaked_seckey: string;
}
interface Leaf {
  script: string;
  leaf_version: number;
  leaf_hash: string;
  merkle_path: string[];
  control_block: string;
}
interface Tree {
  id: string;
  internal_pubkey: string;
  merkle_root: string;
  tweak: string;
  commitment: string;
  leaves: Leaf[];
}

const generated = loadVectors<{ keyonly: KeyOnly[]; trees: Tree[] }>('generated/taproot.json');
const node = loadVectors<{
  add_scalar: { pubkey: string; scalar: string; result: string }[];
  commitments: {
    name: string;
    commitment: string;
    cases: { script: string; control_block: string; valid: boolean }[];
  }[];
}>('lotusd-extracted/taproot.json');

/** The generator's tree shapes: leaves paired left to right, an odd leaf joining at the top. */
function shape(leaves: TapTree[]): TapTree {
  if (leaves.length === 1) return leaves[0] as TapTree;
  if (leaves.length === 2) return [leaves[0], leaves[1]] as [TapTree, TapTree];
  if (leaves.length === 3) return [[leaves[0], leaves[1]], leaves[2]] as [TapTree, TapTree];
  return [
    [leaves[0], leaves[1]],
    [leaves[2], leaves[3]],
  ] as [TapTree, TapTree];
}

describe('Lotus Taproot', () => {
  it.each(generated.keyonly)(
    'tweaks key-only output $internal_pubkey with a zero merkle root',
    (row) => {
      expect(bytesToHex(tapTweakHash(hexToBytes(row.internal_pubkey)))).toBe(row.tweak);
      expect(bytesToHex(tweakPublicKey(hexToBytes(row.internal_pubkey)))).toBe(row.commitment);
      const tweaked = tweakSecretKey(hexToBytes(row.internal_seckey));
      expect(bytesToHex(tweaked)).toBe(row.tweaked_seckey);
      expect(bytesToHex(getPublicKey(tweaked))).toBe(row.commitment);
    },
  );

  it.each(generated.trees)(
    'builds tree $id: root, commitment, leaf hashes, paths, control blocks',
    (tree) => {
      const built = buildScriptTree(
        shape(
          tree.leaves.map((l) => ({ script: hexToBytes(l.script), leafVersion: l.leaf_version })),
        ),
      );
      expect(bytesToHex(built.merkleRoot)).toBe(tree.merkle_root);
      const internal = hexToBytes(tree.internal_pubkey);
      expect(bytesToHex(tweakPublicKey(internal, built.merkleRoot))).toBe(tree.commitment);
      built.leaves.forEach((leaf, i) => {
        const expected = tree.leaves[i] as Leaf;
        expect(bytesToHex(leaf.leafHash)).toBe(expected.leaf_hash);
        expect(leaf.merklePath.map(bytesToHex)).toEqual(expected.merkle_path);
        const cb = controlBlock(internal, leaf.merklePath, leaf.leafVersion);
        expect(bytesToHex(cb)).toBe(expected.control_block);
        expect(verifyTaprootCommitment(hexToBytes(tree.commitment), cb, leaf.script)).toBe(true);
      });
    },
  );

  it.each(node.add_scalar)('matches CPubKey::AddScalar for $pubkey + $scalar', (row) => {
    expect(bytesToHex(addScalar(hexToBytes(row.pubkey), hexToBytes(row.scalar)))).toBe(row.result);
  });

  it.each(node.commitments)('agrees with VerifyTaprootCommitment on $name', (group) => {
    for (const c of group.cases) {
      expect(
        verifyTaprootCommitment(
          hexToBytes(group.commitment),
          hexToBytes(c.control_block),
          hexToBytes(c.script),
        ),
      ).toBe(c.valid);
    }
  });

  it('rejects control blocks with a bad size or a wrong path', () => {
    const tree = generated.trees[1] as Tree;
    const leaf = tree.leaves[0] as Leaf;
    const cb = hexToBytes(leaf.control_block);
    const commitment = hexToBytes(tree.commitment);
    expect(
      verifyTaprootCommitment(commitment, cb.subarray(0, cb.length - 1), hexToBytes(leaf.script)),
    ).toBe(false);
    const wrong = cb.slice();
    wrong[40] = (wrong[40] as number) ^ 1;
    expect(verifyTaprootCommitment(commitment, wrong, hexToBytes(leaf.script))).toBe(false);
    const parity = cb.slice();
    parity[0] = (parity[0] as number) ^ 1;
    expect(verifyTaprootCommitment(commitment, parity, hexToBytes(leaf.script))).toBe(false);
  });
});
