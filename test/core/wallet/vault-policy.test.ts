/**
 * Threshold vaults (policy 2): the tree, its leaves and control blocks, its limits, the version-3
 * descriptor and the plain-words policy. The tree rule is checked against the script-path spends a
 * lotusd node judged (lotusd-node-judged.json): the rows carry leaf scripts, control blocks and the
 * spent commitment, and row 24's pair leaves give keys A and C themselves.
 */
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { bech32m } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { encodeAddress } from '../../../src/core/chain/address.ts';
import { verifyTransaction } from '../../../src/core/chain/interpreter.ts';
import { mainnet, regtest } from '../../../src/core/chain/network.ts';
import { parseScript, pushData } from '../../../src/core/chain/script.ts';
import { SIGHASH_ALL, SIGHASH_LOTUS, sighashLotus } from '../../../src/core/chain/sighash.ts';
import { taprootScript } from '../../../src/core/chain/templates.ts';
import { type Transaction, parseTx } from '../../../src/core/chain/transaction.ts';
import { taggedHash } from '../../../src/core/crypto/hash.ts';
import {
  type KeyAggContext,
  applyTaprootTweak,
  keyAgg,
  nonceAgg,
  nonceGen,
  partialSigAgg,
  sign,
} from '../../../src/core/crypto/musig2.ts';
import { getPublicKey, schnorrSign } from '../../../src/core/crypto/schnorr.ts';
import {
  controlBlock,
  tapBranchHash,
  tapLeafHash,
  tweakPublicKey,
  verifyTaprootCommitment,
} from '../../../src/core/crypto/taproot.ts';
import {
  POLICY_MUSIG2_KEYPATH,
  POLICY_THRESHOLD,
  type Vault,
  type VaultOptions,
  aboutDuration,
  createVault,
  decodeVaultDescriptor,
  describePolicy,
  encodeVaultDescriptor,
  leafFor,
  recoveryLeafFor,
  vaultFingerprint,
} from '../../../src/core/wallet/vault.ts';
import {
  type Balanced,
  MAX_TREE_DEPTH,
  MAX_VAULT_LEAVES,
  type VaultLeafSpec,
  assembleVaultTree,
  balancedTree,
  planVaultTree,
  recoveryLeafScript,
  signingLeafScript,
  subsets,
  treeDepth,
} from '../../../src/core/wallet/vault-tree.ts';
import { loadVectors } from '../../fixtures/vectors.ts';

interface NodeJudgedRow {
  case: string;
  description: string;
  txHex: string;
  spent: { sats: number; scriptPubKeyHex: string }[];
}

const rows = loadVectors<NodeJudgedRow[]>('lotusd-node-judged.json');
const secret = (n: number) => hexToBytes(n.toString(16).padStart(64, '0'));
const hex = bytesToHex;

/** The leaf script, control block and spent commitment of a row's script-path input. */
function scriptPath(caseName: string, input = 0) {
  const row = rows.find((r) => r.case === caseName) as NodeJudgedRow;
  const tx = parseTx(hexToBytes(row.txHex));
  const pushes = parseScript(tx.inputs[input]?.scriptSig as Uint8Array).map(
    (c) => c.data as Uint8Array,
  );
  const control = pushes.at(-1) as Uint8Array;
  const path = Array.from({ length: (control.length - 33) / 32 }, (_, i) =>
    control.slice(33 + 32 * i, 65 + 32 * i),
  );
  const internal = concatBytes(
    Uint8Array.of((control[0] as number) & 1 ? 3 : 2),
    control.subarray(1, 33),
  );
  const spk = hexToBytes(row.spent[input]?.scriptPubKeyHex as string);
  return {
    row,
    leaf: pushes.at(-2) as Uint8Array,
    control,
    path,
    internal,
    commitment: spk.subarray(3, 36),
  };
}

/** A merkle root from a tree of leaf hashes, the way lotusd hashes branches. */
function fold(tree: Balanced<Uint8Array>): Uint8Array {
  return Array.isArray(tree) ? tapBranchHash(fold(tree[0]), fold(tree[1])) : tree;
}

/** Depth of every leaf of a balanced tree of `count` leaves, in order. */
function leafDepths(count: number): number[] {
  const walk = (tree: Balanced<number>, depth: number): number[] =>
    Array.isArray(tree) ? [...walk(tree[0], depth + 1), ...walk(tree[1], depth + 1)] : [depth];
  return walk(balancedTree(Array.from({ length: count }, (_, i) => i)), 0);
}

function histogram(values: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

const keys = Array.from({ length: 12 }, (_, i) => getPublicKey(secret(i + 1)));
const recoveryKeys = [41, 42, 43].map((n) => getPublicKey(secret(n)));

describe('the tree rule reproduces the trees a lotusd node accepted', () => {
  const A = parseScript(scriptPath('a-2of3-scriptpath-leafAC-two-schnorr-checksigverify').leaf)[0]
    ?.data as Uint8Array;
  const C = parseScript(scriptPath('a-2of3-scriptpath-leafAC-two-schnorr-checksigverify').leaf)[2]
    ?.data as Uint8Array;
  const leafAC = scriptPath('a-2of3-scriptpath-leafAC-musig-all-lotus');
  const leafBC = scriptPath('a-2of3-mixed-keypath-in0-leafBC-in1', 1);

  it('orders k-subsets lexicographically and splits every subtree ceil(count / 2) left', () => {
    expect(subsets(3, 2)).toEqual([
      [0, 1],
      [0, 2],
      [1, 2],
    ]);
    expect(subsets(7, 5)).toHaveLength(21);
    // "leaf #3 (members K1,K2,K3,K5,K6)" of the 5-of-7 row.
    expect(subsets(7, 5)[3]).toEqual([0, 1, 2, 4, 5]);
    expect(balancedTree(['AB', 'AC', 'BC'])).toEqual([['AB', 'AC'], 'BC']);
    expect(histogram(leafDepths(21))).toEqual({ 4: 11, 5: 10 });
    expect(leafDepths(21)[3]).toBe(5);
  });

  it('2-of-3: leaf AC is <KeyAgg(A, C)> CHECKSIG, and [[AB, AC], BC] gives the node’s root, commitment and control blocks', () => {
    expect(hex(leafAC.internal)).toBe(
      '036cfa2fe79216659b7ba7c60ac753e62a24afe8e92fd2031c95549dfddb2f42c7',
    );
    expect(hex(leafAC.leaf)).toBe(hex(signingLeafScript(keyAgg([A, C]).aggregatePublicKey)));
    const [hAB, hBC] = leafAC.path as [Uint8Array, Uint8Array];
    const hAC = tapLeafHash(leafAC.leaf);
    // Leaf BC (spent in another row) hashes to the top node of AC's path.
    expect(hex(tapLeafHash(leafBC.leaf))).toBe(hex(hBC));
    const root = fold(balancedTree([hAB, hAC, hBC]));
    expect(hex(root)).toBe('c05dfe0bd264411daf1945cb7c16db1f3babc45b74fe1a33e13debe277c69b61');
    expect(hex(tweakPublicKey(leafAC.internal, root))).toBe(hex(leafAC.commitment));
    expect(hex(controlBlock(leafAC.internal, [hAB, hBC]))).toBe(hex(leafAC.control));
    expect(hex(controlBlock(leafAC.internal, [tapBranchHash(hAB, hAC)]))).toBe(hex(leafBC.control));
  });

  it('5-of-7: leaf #3 sits at depth 5 of the 21-leaf balanced tree, under the node’s root and commitment', () => {
    const leaf3 = scriptPath('c-5of7-21leaves-scriptpath-depth5');
    expect(leaf3.path).toHaveLength(leafDepths(21)[3] as number);
    expect(leaf3.control).toHaveLength(193);
    const key = leaf3.leaf.subarray(1, 34);
    expect(hex(leaf3.leaf)).toBe(hex(signingLeafScript(key)));
    const root = leaf3.path.reduce(
      (node, sibling) => tapBranchHash(node, sibling),
      tapLeafHash(leaf3.leaf),
    );
    expect(hex(root)).toBe('c5fe3ce80541864dd0a6201b6e762f5bde71462d77b796860f10bf00354b07c9');
    expect(hex(tweakPublicKey(leaf3.internal, root))).toBe(hex(leaf3.commitment));
    expect(hex(controlBlock(leaf3.internal, leaf3.path))).toBe(hex(leaf3.control));
  });

  it('recovery: the CSV leaf is byte for byte ours, and the signing subtree is the 2-of-3 tree', () => {
    const csv = scriptPath('b-csv10-seq10-1conf');
    const cltv = scriptPath('b-cltv-locktime-H-tip-H');
    const R = csv.leaf.subarray(4, 37);
    expect(hex(csv.leaf)).toBe(hex(recoveryLeafScript(10, R)));
    expect(hex(csv.leaf)).toBe(`5ab27521${hex(R)}ac`);
    const signingRoot = hex(csv.path[1] as Uint8Array);
    expect(signingRoot).toBe('c05dfe0bd264411daf1945cb7c16db1f3babc45b74fe1a33e13debe277c69b61');
    expect(hex(csv.path[0] as Uint8Array)).toBe(hex(tapLeafHash(cltv.leaf)));
    // The node's tree is [signing subtree, recovery subtree], each balanced: Petal's shape. Its
    // recovery subtree also holds a CLTV leaf, which Petal does not make (relative locks only),
    // so a Petal vault with the same keys has root TapBranch(signing, CSV leaf) instead.
    const vectorRoot = fold([
      hexToBytes(signingRoot),
      fold(balancedTree([tapLeafHash(csv.leaf), tapLeafHash(cltv.leaf)])),
    ]);
    expect(hex(vectorRoot)).toBe(
      '6065285d894c744ba2bc673252210bbdb9de210f67bfa0c004e2dfba4ccde032',
    );
    expect(hex(tweakPublicKey(csv.internal, vectorRoot))).toBe(hex(csv.commitment));
    const petalRoot = tapBranchHash(hexToBytes(signingRoot), tapLeafHash(csv.leaf));
    expect(
      verifyTaprootCommitment(
        tweakPublicKey(csv.internal, petalRoot),
        controlBlock(csv.internal, [hexToBytes(signingRoot)]),
        csv.leaf,
      ),
    ).toBe(true);
  });
});

describe('threshold vaults', () => {
  /** Everything about the tree that must hold for any policy 2 vault. */
  function expectConsistent(vault: Vault) {
    expect(vault.policy).toBe(POLICY_THRESHOLD);
    const root = vault.merkleRoot as Uint8Array;
    expect(hex(vault.aggregateKey)).toBe(hex(keyAgg(vault.members).aggregatePublicKey));
    expect(hex(vault.commitment)).toBe(hex(tweakPublicKey(vault.aggregateKey, root)));
    expect(hex(vault.commitment)).toBe(
      hex(applyTaprootTweak(keyAgg(vault.members), root).signingPublicKey),
    );
    expect(vault.address).toBe(encodeAddress(taprootScript(vault.commitment), vault.network));
    const signing = vault.leaves.filter((l) => l.kind === 'signers');
    const recovery = vault.leaves.filter((l) => l.kind === 'recovery');
    expect(vault.leaves).toEqual([...signing, ...recovery]);
    expect(signing.map((l) => l.signers)).toEqual(subsets(vault.members.length, vault.threshold));
    const r = vault.recovery;
    expect(recovery.map((l) => l.signers)).toEqual(r ? subsets(r.keys.length, r.threshold) : []);
    const signingRoot = fold(balancedTree(signing.map((l) => l.leafHash)));
    expect(hex(root)).toBe(
      hex(
        recovery.length
          ? tapBranchHash(signingRoot, fold(balancedTree(recovery.map((l) => l.leafHash))))
          : signingRoot,
      ),
    );
    const depths = recovery.length
      ? [...leafDepths(signing.length), ...leafDepths(recovery.length)].map((d) => d + 1)
      : leafDepths(signing.length);
    vault.leaves.forEach((leaf, i) => {
      const expectedKey =
        leaf.kind === 'signers'
          ? keyAgg(leaf.signers.map((s) => vault.members[s] as Uint8Array)).aggregatePublicKey
          : leaf.signers.length === 1
            ? (r?.keys[leaf.signers[0] as number] as Uint8Array)
            : keyAgg(leaf.signers.map((s) => r?.keys[s] as Uint8Array)).aggregatePublicKey;
      expect(hex(leaf.key)).toBe(hex(expectedKey));
      expect(hex(leaf.script)).toBe(
        hex(
          leaf.kind === 'signers'
            ? signingLeafScript(leaf.key)
            : recoveryLeafScript(r?.afterBlocks as number, leaf.key),
        ),
      );
      expect(leaf.afterBlocks).toBe(leaf.kind === 'recovery' ? r?.afterBlocks : undefined);
      expect(hex(leaf.leafHash)).toBe(hex(tapLeafHash(leaf.script)));
      expect(leaf.controlBlock).toHaveLength(33 + 32 * (depths[i] as number));
      expect(leaf.controlBlock[0]! & 0xfe).toBe(0xc0);
      expect(verifyTaprootCommitment(vault.commitment, leaf.controlBlock, leaf.script)).toBe(true);
    });
  }

  it.each([
    { n: 3, k: 2, leaves: 3 },
    { n: 5, k: 3, leaves: 10 },
    { n: 7, k: 5, leaves: 21 },
  ])('builds $k-of-$n with and without recovery', ({ n, k, leaves }) => {
    const members = keys.slice(0, n);
    const plain = createVault(members, regtest, '', { threshold: k });
    expectConsistent(plain);
    expect(plain.leaves).toHaveLength(leaves);
    expect(plain.threshold).toBe(k);
    expect(plain.recovery).toBeUndefined();
    const lone = createVault(members, regtest, '', {
      threshold: k,
      recovery: { afterBlocks: 10, keys: [recoveryKeys[0] as Uint8Array], threshold: 1 },
    });
    expectConsistent(lone);
    expect(lone.leaves).toHaveLength(leaves + 1);
    expect(hex(lone.leaves.at(-1)?.key as Uint8Array)).toBe(hex(recoveryKeys[0] as Uint8Array));
    const group = createVault([...members].reverse(), regtest, '', {
      threshold: k,
      recovery: { afterBlocks: 65_535, keys: [...recoveryKeys].reverse(), threshold: 2 },
    });
    expectConsistent(group);
    expect(group.leaves).toHaveLength(leaves + 3);
    expect(group.recovery?.keys.map(hex)).toEqual([...recoveryKeys].map(hex).sort());
    expect(new Set([plain.id, lone.id, group.id, createVault(members, regtest).id]).size).toBe(4);
  });

  it('5-of-7 has the node-judged shape: 21 leaves at depths {4: 11, 5: 10}, leaf {0,1,2,4,5} at depth 5', () => {
    const vault = createVault(keys.slice(0, 7), regtest, '', { threshold: 5 });
    expect(histogram(vault.leaves.map((l) => (l.controlBlock.length - 33) / 32))).toEqual({
      4: 11,
      5: 10,
    });
    expect(leafFor(vault, [0, 1, 2, 4, 5])).toBe(vault.leaves[3]);
    expect(leafFor(vault, [0, 1, 2, 4, 5])?.controlBlock).toHaveLength(193);
  });

  it('finds signing and recovery leaves by index set, in any order', () => {
    const vault = createVault(keys.slice(0, 4), regtest, '', {
      threshold: 2,
      recovery: { afterBlocks: 144, keys: recoveryKeys, threshold: 2 },
    });
    expect(leafFor(vault, [3, 1])?.signers).toEqual([1, 3]);
    expect(leafFor(vault, [1, 3])?.kind).toBe('signers');
    expect(leafFor(vault, [1])).toBeUndefined();
    expect(leafFor(vault, [1, 2, 3])).toBeUndefined();
    expect(leafFor(vault, [1, 4])).toBeUndefined();
    expect(leafFor(vault, [1, 1])).toBeUndefined();
    expect(recoveryLeafFor(vault, [2, 0])?.signers).toEqual([0, 2]);
    expect(recoveryLeafFor(vault, [2, 0])?.afterBlocks).toBe(144);
    expect(recoveryLeafFor(vault, [0])).toBeUndefined();
    const plain = createVault(keys.slice(0, 3), regtest);
    expect(leafFor(plain, [0, 1])).toBeUndefined();
    expect(recoveryLeafFor(plain, [0])).toBeUndefined();
  });

  it('keeps n-of-n without recovery exactly policy 1, and makes n-of-n with recovery policy 2', () => {
    const members = keys.slice(0, 3);
    const legacy = createVault(members, regtest, 'Home');
    expect(createVault(members, regtest, 'Home', { threshold: 3 })).toEqual(legacy);
    expect(legacy.policy).toBe(POLICY_MUSIG2_KEYPATH);
    expect(legacy.threshold).toBe(3);
    expect(legacy.leaves).toEqual([]);
    expect(legacy.merkleRoot).toBeUndefined();
    expect(legacy.id).toBe(
      hex(taggedHash('Petal/vault', utf8ToBytes('R'), Uint8Array.of(1), ...legacy.members)),
    );
    const withRecovery = createVault(members, regtest, 'Home', {
      recovery: { afterBlocks: 100, keys: recoveryKeys.slice(0, 1), threshold: 1 },
    });
    expectConsistent(withRecovery);
    expect(withRecovery.threshold).toBe(3);
    // Its one signing leaf checks the n-of-n aggregate, the internal key itself.
    expect(hex(withRecovery.leaves[0]?.key as Uint8Array)).toBe(hex(withRecovery.aggregateKey));
  });

  it('commits the id to the threshold and the whole recovery path', () => {
    const members = keys.slice(0, 4);
    const recovery = { afterBlocks: 1000, keys: recoveryKeys.slice(0, 2), threshold: 1 };
    const variants: VaultOptions[] = [
      {},
      { threshold: 2 },
      { threshold: 3 },
      { threshold: 2, recovery },
      { threshold: 2, recovery: { ...recovery, afterBlocks: 1001 } },
      { threshold: 2, recovery: { ...recovery, threshold: 2 } },
      { threshold: 2, recovery: { ...recovery, keys: recoveryKeys.slice(0, 1) } },
      { threshold: 2, recovery: { ...recovery, keys: recoveryKeys.slice(1, 3) } },
    ];
    const ids = variants.map((options) => createVault(members, regtest, '', options).id);
    expect(new Set(ids).size).toBe(variants.length);
    expect(createVault(members, mainnet, '', { threshold: 2 }).id).not.toBe(ids[1]);
    // The label and the burn rule stay outside the id, as for policy 1.
    const labelled = createVault(members, regtest, 'Ops', {
      threshold: 2,
      recovery,
      identity: { minSats: 1000n, minConfirmations: 1 },
    });
    expect(labelled.id).toBe(ids[3]);
    expect(vaultFingerprint(labelled)).toBe(
      vaultFingerprint(createVault(members, regtest, '', { threshold: 2, recovery })),
    );
  });

  it('refuses bad thresholds and recovery paths with a VaultError', () => {
    const members = keys.slice(0, 3);
    const R = recoveryKeys[0] as Uint8Array;
    const refuse = (options: VaultOptions, message: RegExp) => {
      const build = () => createVault(members, regtest, '', options);
      expect(build).toThrow(expect.objectContaining({ name: 'VaultError' }));
      expect(build).toThrow(message);
    };
    refuse({ threshold: 1 }, /2 to 3 signers, not 1/);
    refuse({ threshold: 4 }, /2 to 3 signers, not 4/);
    refuse({ threshold: 2.5 }, /not 2.5/);
    const recovery = { afterBlocks: 10, keys: [R], threshold: 1 };
    refuse(
      { recovery: { ...recovery, afterBlocks: 0 } },
      /1 to 65,535 blocks \(about 3 months\), not 0/,
    );
    refuse({ recovery: { ...recovery, afterBlocks: 65_536 } }, /not 65536/);
    refuse({ recovery: { ...recovery, keys: [] } }, /1 to 100 keys/);
    refuse(
      { recovery: { ...recovery, keys: [R, new Uint8Array(33)] } },
      /Recovery key #2 is not a valid/,
    );
    refuse(
      { recovery: { ...recovery, keys: [R, members[1] as Uint8Array] } },
      /#2 is a member key/,
    );
    refuse({ recovery: { ...recovery, keys: [R, R] } }, /recovery key appears twice/);
    refuse({ recovery: { ...recovery, threshold: 0 } }, /1 to 1 signers, not 0/);
    refuse({ recovery: { ...recovery, threshold: 2 } }, /1 to 1 signers, not 2/);
  });
});

describe('tree limits', () => {
  const refusal = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      expect((err as Error).name).toBe('VaultError');
      return (err as Error).message;
    }
    throw new Error('expected a refusal');
  };

  it('refuses a tree deeper than Lotus allows and says what would fit', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => getPublicKey(secret(100 + i)));
    expect(refusal(() => createVault(twenty, regtest, '', { threshold: 7 }))).toBe(
      '7-of-20 needs 77,520 signing leaves (a tree 17 deep); Lotus allows 15 levels (at most ' +
        '32,768 leaves) and Petal builds at most 1,000. Try 2-of-20, 18-of-20 or 7-of-12.',
    );
    expect(MAX_TREE_DEPTH).toBe(15);
    expect(treeDepth(32_768)).toBe(15);
    expect(treeDepth(32_769)).toBe(16);
  });

  it('refuses more leaves than Petal builds, counting the recovery leaves', () => {
    expect(MAX_VAULT_LEAVES).toBe(1000);
    expect(refusal(() => planVaultTree({ members: 13, threshold: 6 }))).toBe(
      '6-of-13 needs 1,716 signing leaves (a tree 11 deep); Petal builds at most 1,000 leaves, ' +
        'so that the vault opens quickly. Try 4-of-13, 9-of-13 or 6-of-12.',
    );
    expect(
      refusal(() =>
        planVaultTree({ members: 3, threshold: 2, recovery: { keys: 15, threshold: 5 } }),
      ),
    ).toBe(
      '2-of-3 needs 3 signing leaves and 3,003 recovery leaves (a tree 13 deep); Petal builds at ' +
        'most 1,000 leaves, so that the vault opens quickly. Try recovery by any 3 of 15 keys, ' +
        'recovery by any 12 of 15 keys or recovery by any 5 of 12 keys.',
    );
    // At the edges of the search: no threshold below 2, none above n, no fewer members than k.
    expect(refusal(() => planVaultTree({ members: 50, threshold: 2 }))).toBe(
      '2-of-50 needs 1,225 signing leaves (a tree 11 deep); Petal builds at most 1,000 leaves, ' +
        'so that the vault opens quickly. Try 49-of-50 or 2-of-45.',
    );
    expect(
      refusal(() =>
        planVaultTree({ members: 3, threshold: 3, recovery: { keys: 14, threshold: 7 } }),
      ),
    ).toBe(
      '3-of-3 needs 1 signing leaf and 3,432 recovery leaves (a tree 13 deep); Petal builds at ' +
        'most 1,000 leaves, so that the vault opens quickly. Try recovery by any 3 of 14 keys, ' +
        'recovery by any 11 of 14 keys or recovery by any 7 of 12 keys.',
    );
    expect(planVaultTree({ members: 12, threshold: 6 })).toEqual({
      signingLeaves: 924,
      recoveryLeaves: 0,
      depth: 10,
    });
    expect(
      planVaultTree({ members: 3, threshold: 2, recovery: { keys: 1, threshold: 1 } }),
    ).toEqual({ signingLeaves: 3, recoveryLeaves: 1, depth: 3 });
  });

  it('refuses to assemble a tree over 15 levels or a leaf script over 520 bytes', () => {
    const internal = keys[0] as Uint8Array;
    const spec = (script: Uint8Array): VaultLeafSpec => ({
      kind: 'signers',
      signers: [0, 1],
      key: internal,
      script,
    });
    const tiny = spec(Uint8Array.of(0x51));
    expect(
      refusal(() =>
        assembleVaultTree(
          internal,
          Array.from({ length: 16_385 }, () => tiny),
          [tiny],
        ),
      ),
    ).toBe(
      "A tree of 16,386 leaves is 16 levels deep; Lotus allows 15 (a deeper leaf's control " +
        'block is over 520 bytes)',
    );
    const pad = (length: number) =>
      concatBytes(
        Uint8Array.of(0x4d, length - 4, 0),
        new Uint8Array(length - 4),
        Uint8Array.of(0x75),
      );
    expect(pad(520)).toHaveLength(520);
    expect(refusal(() => assembleVaultTree(internal, [tiny, spec(pad(521))]))).toBe(
      "A leaf script of 521 bytes is over Lotus's 520-byte push limit",
    );
    const { merkleRoot, leaves } = assembleVaultTree(internal, [tiny, spec(pad(520))]);
    expect(
      verifyTaprootCommitment(
        tweakPublicKey(internal, merkleRoot),
        leaves[1]?.controlBlock as Uint8Array,
        pad(520),
      ),
    ).toBe(true);
    expect(refusal(() => assembleVaultTree(internal, []))).toMatch(/at least one signing leaf/);
  });
});

describe('descriptors', () => {
  // Made by the version before threshold vaults existed (same keys: secrets 101..103).
  const oldKeys = [101, 102, 103].map((n) => getPublicKey(secret(n)));
  const V1 =
    'petalvault1q9fqzqczxpyl0l78r46yhkd76m6zm34z396w8gde6vr8r7qquh2x8zgs83lqyvgsj8wesc8gug8wzdrncy247hmfvd0rj3cya2n5qz29yfrvl2dnqg6vrlgy6vqmazdnrszy95lx4sjgswfgk3dfxsrcrpnaggewctda7pjxv9kkjmrejsq4nl';
  const V2 =
    'petalvault1qf0szqszxpyl0l78r46yhkd76m6zm34z396w8gde6vr8r7qquh2x8zgs83lqyvgsj8wesc8gug8wzdrncy247hmfvd0rj3cya2n5qz29yfrvl2dnqapk7atwvd5kcqqqqqqqqf395qqqvl623cp';
  const payloadOf = (d: string) =>
    bech32m.fromWords(bech32m.decode(d as `${string}1${string}`, 12_000).words);
  const encodePayload = (payload: Uint8Array) =>
    bech32m.encode('petalvault', bech32m.toWords(payload), 12_000);

  it('decodes version-1 and version-2 descriptors of the previous release exactly as before', () => {
    const v1 = decodeVaultDescriptor(V1, regtest);
    expect(v1.id).toBe('0b42bcb6756e1b1f0268691ba60712ee1394ca8b85782810b49153ae8bbbd5dc');
    expect(v1.address).toBe('lotusRJGS1WM1bJJ12UBtqpsPn3CKsBEtrC3rxWeLHDT1LVzpq3NabsTg');
    expect(hex(v1.commitment)).toBe(
      '032c93a7aa4777e5e14552e4b28e2a6c355804cfcc33ef01a074eb535c196c2ac1',
    );
    expect(vaultFingerprint(v1)).toBe('0B42-BCB6');
    expect(v1.label).toBe('Family');
    expect(v1.policy).toBe(POLICY_MUSIG2_KEYPATH);
    expect(encodeVaultDescriptor(v1)).toBe(V1);
    expect(encodeVaultDescriptor(createVault(oldKeys, regtest, 'Family'))).toBe(V1);
    const v2 = decodeVaultDescriptor(V2, mainnet);
    expect(v2.id).toBe('8d549d8346a36adb8b6fbe3a252217730a935a3a1007a11b739f9bafcb0d72c3');
    expect(v2.address).toBe('lotus_JFpLTKYijqYXdZmATYHaVjSDTxibhzKKrG4znGsrergQQ8kodMD');
    expect(vaultFingerprint(v2)).toBe('8D54-9D83');
    expect(v2.identity).toEqual({ minSats: 2_500_000n, minConfirmations: 6 });
    expect(encodeVaultDescriptor(v2)).toBe(V2);
  });

  it.each<[string, VaultOptions]>([
    ['2-of-3', { threshold: 2 }],
    [
      '2-of-3, one recovery key',
      {
        threshold: 2,
        recovery: { afterBlocks: 52_560, keys: recoveryKeys.slice(0, 1), threshold: 1 },
      },
    ],
    [
      '3-of-3, recovery by 2 of 3',
      { recovery: { afterBlocks: 7, keys: recoveryKeys, threshold: 2 } },
    ],
    [
      '2-of-3, recovery and identity',
      {
        threshold: 2,
        recovery: { afterBlocks: 300, keys: recoveryKeys.slice(1), threshold: 2 },
        identity: { minSats: 2n ** 64n - 1n, minConfirmations: 65_535 },
      },
    ],
    ['2-of-3, identity only', { threshold: 2, identity: { minSats: 0n, minConfirmations: 0 } }],
  ])('round-trips a version-3 descriptor: %s', (_, options) => {
    const vault = createVault(keys.slice(0, 3), regtest, 'Tresor ✓', options);
    const descriptor = encodeVaultDescriptor(vault);
    const payload = payloadOf(descriptor);
    expect(payload[0]).toBe(3);
    expect(payload[2]).toBe(POLICY_THRESHOLD);
    const decoded = decodeVaultDescriptor(descriptor.toUpperCase(), regtest);
    expect(decoded).toEqual(vault);
    expect(vaultFingerprint(decoded)).toBe(vaultFingerprint(vault));
    const shuffled = createVault([...keys.slice(0, 3)].reverse(), regtest, 'Tresor ✓', {
      ...options,
      ...(options.recovery
        ? { recovery: { ...options.recovery, keys: [...options.recovery.keys].reverse() } }
        : {}),
    });
    expect(encodeVaultDescriptor(shuffled)).toBe(descriptor);
  });

  it('refuses a version-3 descriptor for a plain n-of-n vault, unknown flags and trailing bytes', () => {
    const vault = createVault(keys.slice(0, 3), regtest, '', { threshold: 2 });
    const payload = payloadOf(encodeVaultDescriptor(vault));
    const tail = 4 + 3 * 33 + 1;
    const withTail = (...bytes: number[]) =>
      concatBytes(payload.subarray(0, tail), Uint8Array.of(...bytes));
    expect(() => decodeVaultDescriptor(encodePayload(withTail(3, 0)))).toThrow(
      /must carry a threshold or a recovery path/,
    );
    expect(() => decodeVaultDescriptor(encodePayload(withTail(2, 4)))).toThrow(/flags 4/);
    expect(() => decodeVaultDescriptor(encodePayload(withTail(2, 0, 0)))).toThrow(/trailing/);
    expect(() => decodeVaultDescriptor(encodePayload(withTail(2)))).toThrow(/truncated/);
    expect(() => decodeVaultDescriptor(encodePayload(withTail(1, 0)))).toThrow(/not 1/);
    // Versions 1 and 2 cannot carry policy 2, nor version 3 policy 1.
    const asV1 = Uint8Array.from(payload);
    asV1[0] = 1;
    expect(() => decodeVaultDescriptor(encodePayload(asV1))).toThrow(/policy 2/);
    const v3p1 = Uint8Array.from(payload);
    v3p1[2] = 1;
    expect(() => decodeVaultDescriptor(encodePayload(v3p1))).toThrow(/policy 1/);
  });

  it('turns any damage to a version-3 payload into a VaultError, never another exception', () => {
    const vault = createVault(keys.slice(0, 3), regtest, 'Ops', {
      threshold: 2,
      recovery: { afterBlocks: 144, keys: recoveryKeys.slice(0, 2), threshold: 1 },
      identity: { minSats: 1000n, minConfirmations: 2 },
    });
    const payload = payloadOf(encodeVaultDescriptor(vault));
    const damaged: Uint8Array[] = [];
    for (let length = 0; length < payload.length; length++) damaged.push(payload.slice(0, length));
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let i = 0; i < 150; i++) {
      const copy = Uint8Array.from(payload);
      copy[random() % copy.length] = random() % 256;
      damaged.push(copy);
    }
    // Every field boundary of the tail, set to its extremes.
    for (let at = 4 + 3 * 33; at < payload.length; at++) {
      for (const value of [0, 1, 0xff]) {
        const copy = Uint8Array.from(payload);
        copy[at] = value;
        damaged.push(copy);
      }
    }
    for (const bytes of damaged) {
      try {
        decodeVaultDescriptor(encodePayload(bytes));
      } catch (err) {
        expect((err as Error).name, hex(bytes)).toBe('VaultError');
      }
    }
  });
});

describe('describePolicy', () => {
  const members = keys.slice(0, 3);
  const names = ['Alice', 'Bob', 'Carol', 'Dana', 'Erin', 'Frank'];

  it('says who signs, and who may recover after how long, in plain words', () => {
    expect(describePolicy(createVault(members, regtest), names)).toBe(
      'all 3 of Alice, Bob and Carol',
    );
    const dana = createVault(members, regtest, '', {
      threshold: 2,
      recovery: { afterBlocks: 21_600, keys: recoveryKeys.slice(0, 1), threshold: 1 },
    });
    expect(describePolicy(dana, names)).toBe(
      'any 2 of Alice, Bob and Carol; Dana alone after 21,600 blocks (about 4 weeks)',
    );
    const group = createVault(members, regtest, '', {
      threshold: 2,
      recovery: { afterBlocks: 65_535, keys: recoveryKeys, threshold: 2 },
    });
    expect(describePolicy(group, names)).toBe(
      'any 2 of Alice, Bob and Carol; any 2 of Dana, Erin and Frank after 65,535 blocks (about 3 months)',
    );
    expect(describePolicy(group)).toBe(
      'any 2 of member #1, member #2 and member #3; any 2 of recovery key #1, recovery key #2 ' +
        'and recovery key #3 after 65,535 blocks (about 3 months)',
    );
    const all = createVault(members, regtest, '', {
      recovery: { afterBlocks: 1, keys: recoveryKeys.slice(0, 2), threshold: 2 },
    });
    expect(describePolicy(all, names)).toBe(
      'all 3 of Alice, Bob and Carol; both Dana and Erin after 1 block (about 2 minutes)',
    );
    // Two members who must both sign read "both", as people say it.
    expect(
      describePolicy(createVault(members.slice(0, 2), regtest), ['Bob (member 1)', 'you']),
    ).toBe('both Bob (member 1) and you');
  });

  it('converts blocks to time at Lotus’s 2-minute spacing', () => {
    expect(aboutDuration(1)).toBe('about 2 minutes');
    expect(aboutDuration(10)).toBe('about 20 minutes');
    expect(aboutDuration(60)).toBe('about 2 hours');
    expect(aboutDuration(720)).toBe('about 24 hours');
    expect(aboutDuration(5040)).toBe('about 7 days');
    expect(aboutDuration(52_560)).toBe('about 2 months');
    expect(aboutDuration(262_800)).toBe('about 12 months');
  });
});

describe('spending a threshold vault (Petal’s verifier)', () => {
  const secrets = [1, 2, 3].map(secret);
  const recoverySecret = secret(41);
  const vault = createVault(secrets.map(getPublicKey), regtest, '', {
    threshold: 2,
    recovery: { afterBlocks: 10, keys: [getPublicKey(recoverySecret)], threshold: 1 },
  });
  const spent = [{ value: 100_000n, script: vault.script }];
  const HASH_TYPE = SIGHASH_ALL | SIGHASH_LOTUS;

  function spend(sequence: number): Transaction {
    return {
      version: 2,
      inputs: [
        {
          prevout: { txid: new Uint8Array(32).fill(7), vout: 0 },
          scriptSig: new Uint8Array(),
          sequence,
        },
      ],
      outputs: [{ value: 99_000n, script: vault.script }],
      locktime: 0,
    };
  }

  function musig(ctx: KeyAggContext, msg: Uint8Array): Uint8Array {
    const signers = ctx.pubkeys.map(
      (pk) => secrets.find((sk) => hex(getPublicKey(sk)) === hex(pk)) as Uint8Array,
    );
    const nonces = signers.map((sk, i) =>
      nonceGen({ secretKey: sk, publicKey: ctx.pubkeys[i] as Uint8Array, message: msg }),
    );
    const aggNonce = nonceAgg(nonces.map((n) => n.pubNonce));
    const partials = signers.map((sk, i) => sign(nonces[i]!.secNonce, sk, ctx, aggNonce, msg));
    return partialSigAgg(partials, ctx, aggNonce, msg);
  }

  function scriptPathSpend(
    leafIndex: number,
    sequence: number,
    sig: (msg: Uint8Array) => Uint8Array,
  ) {
    const leaf = vault.leaves[leafIndex]!;
    const tx = spend(sequence);
    const msg = sighashLotus(tx, 0, spent, HASH_TYPE, {
      codeSeparatorPos: 0xffffffff,
      executedScriptHash: leaf.leafHash,
    });
    tx.inputs[0]!.scriptSig = concatBytes(
      pushData(concatBytes(sig(msg), Uint8Array.of(HASH_TYPE))),
      pushData(leaf.script),
      pushData(leaf.controlBlock),
    );
    return verifyTransaction(tx, spent);
  }

  it('accepts members {0, 2} through their leaf, with MuSig2 over the leaf key', () => {
    const leaf = leafFor(vault, [0, 2])!;
    const index = vault.leaves.indexOf(leaf);
    const ctx = keyAgg([vault.members[0]!, vault.members[2]!]);
    expect(scriptPathSpend(index, 0xffffffff, (msg) => musig(ctx, msg))).toEqual({ ok: true });
  });

  it('accepts the recovery key once the input’s sequence reaches the delay, not before', () => {
    const index = vault.leaves.indexOf(recoveryLeafFor(vault, [0])!);
    const signR = (msg: Uint8Array) => schnorrSign(msg, recoverySecret);
    expect(scriptPathSpend(index, 10, signR)).toEqual({ ok: true });
    expect(scriptPathSpend(index, 9, signR)).toMatchObject({
      ok: false,
      reason: 'UNSATISFIED_LOCKTIME',
    });
  });

  it('accepts every member on the key path, tweaked with the tree’s root', () => {
    const ctx = applyTaprootTweak(keyAgg(vault.members), vault.merkleRoot);
    const tx = spend(0xffffffff);
    const msg = sighashLotus(tx, 0, spent, HASH_TYPE);
    tx.inputs[0]!.scriptSig = pushData(concatBytes(musig(ctx, msg), Uint8Array.of(HASH_TYPE)));
    expect(verifyTransaction(tx, spent)).toEqual({ ok: true });
  });
});
