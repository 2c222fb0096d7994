/**
 * Taproot as Lotus does it: 33-byte keys everywhere, no x-only step and no negation. The output
 * commits to `P + t·G` with t = TaggedHash("TapTweak", cmp(P) ‖ merkle_root); key-only outputs
 * use 32 zero bytes as the root (what every Lotus wallet does, so vault addresses match).
 */
import { concatBytes } from '@noble/hashes/utils.js';
import {
  G,
  N,
  bytesToInt,
  compress,
  intTo32,
  mod,
  parseCompressedPoint,
  secretKeyScalar,
} from './curve.ts';
import { CryptoError, InvalidInputError } from './errors.ts';
import { taggedHash } from './hash.ts';

export const TAPROOT_LEAF_TAPSCRIPT = 0xc0;
/** Lotus's key-only convention (lotus-lib, xpi-ts, lotus-web-wallet): a zero merkle root. */
export const KEY_ONLY_MERKLE_ROOT = new Uint8Array(32);
const MAX_PATH_NODES = 128;

/** CompactSize length prefix (only lengths a script can have). */
function compactSize(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8);
  return Uint8Array.of(0xfe, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
}

/** TapLeaf hash of a leaf script: TH("TapLeaf", (version & 0xfe) ‖ cs(len) ‖ script). */
export function tapLeafHash(script: Uint8Array, leafVersion = TAPROOT_LEAF_TAPSCRIPT): Uint8Array {
  return taggedHash(
    'TapLeaf',
    Uint8Array.of(leafVersion & 0xfe),
    compactSize(script.length),
    script,
  );
}

/** TapBranch hash of two child hashes, ordered bytewise so the tree shape needs no flags. */
export function tapBranchHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  return compareBytes(a, b) <= 0 ? taggedHash('TapBranch', a, b) : taggedHash('TapBranch', b, a);
}

/** The tweak scalar bytes t = TH("TapTweak", cmp(P) ‖ root); root defaults to 32 zero bytes. */
export function tapTweakHash(internalPubKey: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  parseCompressedPoint(internalPubKey, 'internal key');
  const root = merkleRoot ?? KEY_ONLY_MERKLE_ROOT;
  if (root.length !== 32) throw new InvalidInputError('merkle root must be 32 bytes');
  return taggedHash('TapTweak', internalPubKey, root);
}

function tweakScalar(internalPubKey: Uint8Array, merkleRoot?: Uint8Array): bigint {
  const t = bytesToInt(tapTweakHash(internalPubKey, merkleRoot));
  if (t >= N) throw new CryptoError('Taproot tweak is out of range');
  return t;
}

/** lotusd's CPubKey::AddScalar: `P + t·G` for a 33-byte key and a 32-byte scalar below n. */
export function addScalar(pubKey: Uint8Array, scalar32: Uint8Array): Uint8Array {
  const P = parseCompressedPoint(pubKey);
  if (scalar32.length !== 32) throw new InvalidInputError('scalar must be 32 bytes');
  const t = bytesToInt(scalar32);
  if (t >= N) throw new InvalidInputError('scalar is not below n');
  const Q = t === 0n ? P : P.add(G.multiply(t));
  if (Q.is0()) throw new CryptoError('result is the point at infinity');
  return compress(Q);
}

/** The 33-byte Taproot commitment `P + t·G`. */
export function tweakPublicKey(internalPubKey: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  tweakScalar(internalPubKey, merkleRoot);
  return addScalar(internalPubKey, tapTweakHash(internalPubKey, merkleRoot));
}

/** The secret key of the commitment: `x + t mod n` (no negation on Lotus). */
export function tweakSecretKey(secKey: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  const x = secretKeyScalar(secKey);
  const internal = compress(G.multiply(x));
  const tweaked = mod(x + tweakScalar(internal, merkleRoot));
  if (tweaked === 0n) throw new CryptoError('tweaked secret key is zero');
  return intTo32(tweaked);
}

export interface TapLeafInput {
  script: Uint8Array;
  leafVersion?: number;
}

/** A script tree: a leaf, or a pair of subtrees. */
export type TapTree = TapLeafInput | [TapTree, TapTree];

export interface TapLeafInfo {
  script: Uint8Array;
  leafVersion: number;
  leafHash: Uint8Array;
  /** Sibling hashes from the leaf up to the root (what goes after the key in a control block). */
  merklePath: Uint8Array[];
}

/** Hashes a script tree; returns the root and each leaf (in tree order) with its merkle path. */
export function buildScriptTree(tree: TapTree): { merkleRoot: Uint8Array; leaves: TapLeafInfo[] } {
  const walk = (node: TapTree, depth: number): { hash: Uint8Array; leaves: TapLeafInfo[] } => {
    if (depth > MAX_PATH_NODES) throw new InvalidInputError('script tree deeper than 128');
    if (!Array.isArray(node)) {
      const leafVersion = node.leafVersion ?? TAPROOT_LEAF_TAPSCRIPT;
      const leafHash = tapLeafHash(node.script, leafVersion);
      return {
        hash: leafHash,
        leaves: [{ script: node.script, leafVersion, leafHash, merklePath: [] }],
      };
    }
    const left = walk(node[0], depth + 1);
    const right = walk(node[1], depth + 1);
    for (const leaf of left.leaves) leaf.merklePath.push(right.hash);
    for (const leaf of right.leaves) leaf.merklePath.push(left.hash);
    return {
      hash: tapBranchHash(left.hash, right.hash),
      leaves: [...left.leaves, ...right.leaves],
    };
  };
  const { hash, leaves } = walk(tree, 0);
  return { merkleRoot: hash, leaves };
}

/** Control block `(leafVersion | parity of the internal key) ‖ internal x ‖ path`. */
export function controlBlock(
  internalPubKey: Uint8Array,
  merklePath: Uint8Array[],
  leafVersion = TAPROOT_LEAF_TAPSCRIPT,
): Uint8Array {
  parseCompressedPoint(internalPubKey, 'internal key');
  if (merklePath.length > MAX_PATH_NODES)
    throw new InvalidInputError('merkle path longer than 128');
  const parity = internalPubKey[0] === 0x03 ? 1 : 0;
  return concatBytes(
    Uint8Array.of((leafVersion & 0xfe) | parity),
    internalPubKey.subarray(1),
    ...merklePath,
  );
}

/**
 * lotusd's VerifyTaprootCommitment: rebuild the root from the leaf and the control block's path
 * and check that the internal key tweaked by it is the commitment. False for anything malformed.
 */
export function verifyTaprootCommitment(
  commitment: Uint8Array,
  control: Uint8Array,
  script: Uint8Array,
): boolean {
  if (commitment.length !== 33 || control.length < 33 || (control.length - 33) % 32 !== 0)
    return false;
  if ((control.length - 33) / 32 > MAX_PATH_NODES) return false;
  const first = control[0] as number;
  const internal = concatBytes(Uint8Array.of(first & 1 ? 0x03 : 0x02), control.subarray(1, 33));
  let node = tapLeafHash(script, first & 0xfe);
  for (let offset = 33; offset < control.length; offset += 32) {
    node = tapBranchHash(node, control.subarray(offset, offset + 32));
  }
  try {
    return equalBytes(tweakPublicKey(internal, node), commitment);
  } catch {
    return false;
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
