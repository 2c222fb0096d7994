/**
 * The Taproot script tree of a threshold vault (policy 2, "k of n, optionally recovery after N
 * blocks"), as LOTUS-CRYPTO-SPEC §3 ("k-of-n vaults") describes it:
 *
 * - internal key: the untweaked MuSig2 aggregate of all n members, so every member together still
 *   spends on the key path, exactly as a policy-1 vault does;
 * - one signing leaf `<key> OP_CHECKSIG` per k-subset of the members, where key is the subset's
 *   untweaked MuSig2 aggregate; subsets in lexicographic order of their sorted member indices
 *   ({0,1}, {0,2}, {1,2} for 2-of-3);
 * - with a recovery path, one leaf `<N> OP_CHECKSEQUENCEVERIFY OP_DROP <key> OP_CHECKSIG` per
 *   m-subset of the recovery keys, key being the one recovery key when m = 1, else the subset's
 *   MuSig2 aggregate. N is a BIP68 height-based relative lock (1..65,535 blocks: the type flag and
 *   the disable bit stay clear, so the spending input's nSequence is just N);
 * - shape: the signing subtree alone, or [signing subtree, recovery subtree]; each subtree is
 *   balanced, its left half holding ceil(count / 2) leaves (`balancedTree`). This reproduces the
 *   node-judged trees of lotusd-node-judged.json: 2-of-3 `[[AB, AC], BC]` and the 21 leaves of
 *   5-of-7 at depths {4: 11, 5: 10}.
 *
 * Limits: the control block is pushed in the scriptSig, and lotusd refuses pushes over 520 bytes
 * (33 + 32·15 = 513, so at most 15 levels); a leaf script is pushed too (≤ 520 bytes). Petal also
 * builds at most MAX_VAULT_LEAVES leaves: every leaf costs one MuSig2 KeyAgg (a few milliseconds in
 * the browser), and every member's wallet rebuilds the tree whenever it reads the descriptor.
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { SEQUENCE_LOCKTIME_MASK } from '../chain/finality.ts';
import { OP } from '../chain/opcodes.ts';
import { encodeScriptNum, pushData } from '../chain/script.ts';
import { keyAgg } from '../crypto/musig2.ts';
import { type TapTree, buildScriptTree, controlBlock } from '../crypto/taproot.ts';
import { VaultError } from './vault-error.ts';

/** lotusd's MAX_SCRIPT_ELEMENT_SIZE: the largest push a scriptSig may carry. */
export const MAX_SCRIPT_PUSH = 520;
/** The deepest leaf whose control block (33 + 32·depth bytes) still fits one push: 15. */
export const MAX_TREE_DEPTH = Math.floor((MAX_SCRIPT_PUSH - 33) / 32);
/** Petal's own cap, so that opening a vault (one KeyAgg per leaf) stays quick. */
export const MAX_VAULT_LEAVES = 1_000;
/** A height-based BIP68 relative lock counts at most 65,535 blocks (about 91 days on Lotus). */
export const MAX_AFTER_BLOCKS = SEQUENCE_LOCKTIME_MASK;

/** The timelocked way out: any `threshold` of `keys` (sorted, not members) after `afterBlocks`. */
export interface RecoveryPath {
  afterBlocks: number;
  keys: Uint8Array[];
  threshold: number;
}

/** One script leaf of a threshold vault, with everything a script-path spend needs. */
export interface VaultLeaf {
  kind: 'signers' | 'recovery';
  /** Sorted member indices ('signers'), or sorted indices into `recovery.keys` ('recovery'). */
  signers: number[];
  /** The 33-byte key the leaf checks: a MuSig2 aggregate, or a lone recovery key. */
  key: Uint8Array;
  script: Uint8Array;
  leafHash: Uint8Array;
  /** `0xc0 | parity(internal key) ‖ internal key x ‖ merkle path`, pushed last in the scriptSig. */
  controlBlock: Uint8Array;
  /** Recovery leaves: the relative lock, which the spending input's nSequence must reach. */
  afterBlocks?: number;
}

/** A leaf before it is placed in the tree. */
export type VaultLeafSpec = Omit<VaultLeaf, 'leafHash' | 'controlBlock'>;

/** A balanced binary tree over items, as nested pairs. */
export type Balanced<T> = T | [Balanced<T>, Balanced<T>];

/**
 * Arranges items (in order) into a balanced tree whose left half holds ceil(count / 2) of them.
 * @throws VaultError for an empty list.
 * @example
 *   balancedTree(['AB', 'AC', 'BC']); // [['AB', 'AC'], 'BC']
 */
export function balancedTree<T>(items: readonly T[]): Balanced<T> {
  if (items.length === 0) throw new VaultError('A script tree needs at least one leaf');
  if (items.length === 1) return items[0] as T;
  const half = Math.ceil(items.length / 2);
  return [balancedTree(items.slice(0, half)), balancedTree(items.slice(half))];
}

/** Depth of a balanced tree of `leaves` leaves: the smallest d with 2^d ≥ leaves. */
export function treeDepth(leaves: number | bigint): number {
  const count = BigInt(leaves);
  if (count < 1n) throw new VaultError('A script tree needs at least one leaf');
  let depth = 0;
  while (1n << BigInt(depth) < count) depth++;
  return depth;
}

/** The binomial coefficient C(n, k), exactly (it overflows a double well inside 100 members). */
export function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let result = 1n;
  for (let i = 0; i < Math.min(k, n - k); i++) result = (result * BigInt(n - i)) / BigInt(i + 1);
  return result;
}

/**
 * The k-subsets of {0, …, n−1}, each ascending, in lexicographic order.
 * @example
 *   subsets(3, 2); // [[0, 1], [0, 2], [1, 2]]
 */
export function subsets(n: number, k: number): number[][] {
  if (k < 1 || k > n) return [];
  const out: number[][] = [];
  const current = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    out.push([...current]);
    let i = k - 1;
    while (i >= 0 && current[i] === n - k + i) i--;
    if (i < 0) return out;
    current[i] = (current[i] as number) + 1;
    for (let j = i + 1; j < k; j++) current[j] = (current[j - 1] as number) + 1;
  }
}

/** `<key> OP_CHECKSIG`: 35 bytes. */
export function signingLeafScript(key: Uint8Array): Uint8Array {
  return concatBytes(pushData(key), Uint8Array.of(OP.OP_CHECKSIG));
}

/** `<afterBlocks> OP_CHECKSEQUENCEVERIFY OP_DROP <key> OP_CHECKSIG`, the number pushed minimally. */
export function recoveryLeafScript(afterBlocks: number, key: Uint8Array): Uint8Array {
  return concatBytes(
    pushData(encodeScriptNum(BigInt(afterBlocks))),
    Uint8Array.of(OP.OP_CHECKSEQUENCEVERIFY, OP.OP_DROP),
    pushData(key),
    Uint8Array.of(OP.OP_CHECKSIG),
  );
}

/** How many members, signers and recovery keys a policy has (all it takes to size its tree). */
export interface PolicyShape {
  members: number;
  threshold: number;
  recovery?: { keys: number; threshold: number };
}

export interface TreeSize {
  signingLeaves: number;
  recoveryLeaves: number;
  depth: number;
}

function measure(shape: PolicyShape): { signing: bigint; recovery: bigint; depth: number } {
  const signing = binomial(shape.members, shape.threshold);
  const r = shape.recovery;
  const recovery = r ? binomial(r.keys, r.threshold) : 0n;
  const depth = r ? 1 + Math.max(treeDepth(signing), treeDepth(recovery)) : treeDepth(signing);
  return { signing, recovery, depth };
}

function fits(shape: PolicyShape): boolean {
  const { signing, recovery, depth } = measure(shape);
  return depth <= MAX_TREE_DEPTH && signing + recovery <= BigInt(MAX_VAULT_LEAVES);
}

const formatCount = (n: bigint | number) => BigInt(n).toLocaleString('en-US');
const leafCount = (n: bigint, kind: string) =>
  `${formatCount(n)} ${kind} ${n === 1n ? 'leaf' : 'leaves'}`;

function orList(items: string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** Nearby policies that do fit: lower or higher thresholds, fewer members or recovery keys. */
function alternatives(shape: PolicyShape): string[] {
  const { members: n, threshold: k, recovery: r } = shape;
  // The first x that fits, counting from `from` by `step` (±1) while x stays within `to`.
  const first = (from: number, to: number, step: 1 | -1, make: (x: number) => PolicyShape) => {
    for (let x = from; step > 0 ? x <= to : x >= to; x += step) if (fits(make(x))) return x;
    return undefined;
  };
  const out: string[] = [];
  const lower = first(k - 1, 2, -1, (t) => ({ ...shape, threshold: t }));
  if (lower !== undefined) out.push(`${lower}-of-${n}`);
  const higher = first(k + 1, n, 1, (t) => ({ ...shape, threshold: t }));
  if (higher !== undefined) out.push(`${higher}-of-${n}`);
  const fewer = first(n - 1, Math.max(k, 2), -1, (m) => ({ ...shape, members: m }));
  if (fewer !== undefined) out.push(`${k}-of-${fewer}`);
  if (r) {
    const recovery = (keys: number, threshold: number) => ({
      ...shape,
      recovery: { keys, threshold },
    });
    const lowerM = first(r.threshold - 1, 1, -1, (m) => recovery(r.keys, m));
    if (lowerM !== undefined) out.push(`recovery by any ${lowerM} of ${r.keys} keys`);
    const higherM = first(r.threshold + 1, r.keys, 1, (m) => recovery(r.keys, m));
    if (higherM !== undefined) out.push(`recovery by any ${higherM} of ${r.keys} keys`);
    const fewerKeys = first(r.keys - 1, r.threshold, -1, (keys) => recovery(keys, r.threshold));
    if (fewerKeys !== undefined) out.push(`recovery by any ${r.threshold} of ${fewerKeys} keys`);
  }
  return out;
}

/**
 * Sizes a policy's tree before anything is built, and refuses one Lotus or Petal cannot carry
 * with a message saying what would fit.
 * @throws VaultError when the tree is deeper than 15 levels or has more than MAX_VAULT_LEAVES.
 * @example
 *   planVaultTree({ members: 7, threshold: 5 }); // { signingLeaves: 21, recoveryLeaves: 0, depth: 5 }
 *   planVaultTree({ members: 20, threshold: 7 }); // throws "7-of-20 needs 77,520 signing leaves…"
 */
export function planVaultTree(shape: PolicyShape): TreeSize {
  const { signing, recovery, depth } = measure(shape);
  if (fits(shape)) {
    return { signingLeaves: Number(signing), recoveryLeaves: Number(recovery), depth };
  }
  const needs =
    `${shape.threshold}-of-${shape.members} needs ${leafCount(signing, 'signing')}` +
    (shape.recovery ? ` and ${leafCount(recovery, 'recovery')}` : '');
  const limit =
    depth > MAX_TREE_DEPTH
      ? `Lotus allows ${MAX_TREE_DEPTH} levels (at most ${formatCount(1n << BigInt(MAX_TREE_DEPTH))} ` +
        `leaves) and Petal builds at most ${formatCount(MAX_VAULT_LEAVES)}`
      : `Petal builds at most ${formatCount(MAX_VAULT_LEAVES)} leaves, so that the vault opens quickly`;
  const options = alternatives(shape);
  const advice = options.length
    ? `Try ${orList(options)}.`
    : 'Use fewer members or fewer recovery keys.';
  throw new VaultError(`${needs} (a tree ${depth} deep); ${limit}. ${advice}`);
}

/**
 * Places leaves in the vault's tree ([signing subtree] or [signing subtree, recovery subtree],
 * each balanced) and gives every leaf its hash and control block under `internalKey`.
 * @throws VaultError for no signing leaf, a leaf script over 520 bytes, or a tree over 15 levels.
 */
export function assembleVaultTree(
  internalKey: Uint8Array,
  signing: VaultLeafSpec[],
  recovery: VaultLeafSpec[] = [],
): { merkleRoot: Uint8Array; leaves: VaultLeaf[] } {
  if (signing.length === 0)
    throw new VaultError('A threshold vault needs at least one signing leaf');
  const depth = recovery.length
    ? 1 + Math.max(treeDepth(signing.length), treeDepth(recovery.length))
    : treeDepth(signing.length);
  if (depth > MAX_TREE_DEPTH) {
    throw new VaultError(
      `A tree of ${formatCount(signing.length + recovery.length)} leaves is ${depth} levels deep; ` +
        `Lotus allows ${MAX_TREE_DEPTH} (a deeper leaf's control block is over ${MAX_SCRIPT_PUSH} bytes)`,
    );
  }
  const specs = [...signing, ...recovery];
  for (const spec of specs) {
    if (spec.script.length > MAX_SCRIPT_PUSH) {
      throw new VaultError(
        `A leaf script of ${formatCount(spec.script.length)} bytes is over Lotus's ` +
          `${MAX_SCRIPT_PUSH}-byte push limit`,
      );
    }
  }
  const toTree = (list: VaultLeafSpec[]) =>
    balancedTree(list.map(({ script }) => ({ script }))) as TapTree;
  const tree: TapTree = recovery.length ? [toTree(signing), toTree(recovery)] : toTree(signing);
  const { merkleRoot, leaves } = buildScriptTree(tree);
  return {
    merkleRoot,
    leaves: leaves.map((info, i) => ({
      ...(specs[i] as VaultLeafSpec),
      leafHash: info.leafHash,
      controlBlock: controlBlock(internalKey, info.merklePath),
    })),
  };
}

/**
 * Builds a threshold vault's tree from its sorted member keys, k and the optional recovery path
 * (sorted keys), after checking its size with `planVaultTree`.
 * @throws VaultError for a tree too large (see planVaultTree).
 * @example
 *   const { internalKey, merkleRoot, leaves } = buildVaultTree(sortedKeys, 2);
 *   applyTaprootTweak(keyAgg(sortedKeys), merkleRoot).signingPublicKey; // the commitment
 */
export function buildVaultTree(
  members: Uint8Array[],
  threshold: number,
  recovery?: RecoveryPath,
): { internalKey: Uint8Array; merkleRoot: Uint8Array; leaves: VaultLeaf[] } {
  planVaultTree({
    members: members.length,
    threshold,
    ...(recovery
      ? { recovery: { keys: recovery.keys.length, threshold: recovery.threshold } }
      : {}),
  });
  const internalKey = keyAgg(members).aggregatePublicKey;
  const signing = subsets(members.length, threshold).map((signers): VaultLeafSpec => {
    const key = keyAgg(signers.map((i) => members[i] as Uint8Array)).aggregatePublicKey;
    return { kind: 'signers', signers, key, script: signingLeafScript(key) };
  });
  const recoveryLeaves = recovery
    ? subsets(recovery.keys.length, recovery.threshold).map((signers): VaultLeafSpec => {
        const keys = signers.map((i) => recovery.keys[i] as Uint8Array);
        // A lone key signs for itself: KeyAgg of one key would multiply it by its coefficient.
        const key = keys.length === 1 ? (keys[0] as Uint8Array) : keyAgg(keys).aggregatePublicKey;
        return {
          kind: 'recovery',
          signers,
          key,
          script: recoveryLeafScript(recovery.afterBlocks, key),
          afterBlocks: recovery.afterBlocks,
        };
      })
    : [];
  return { internalKey, ...assembleVaultTree(internalKey, signing, recoveryLeaves) };
}
