/**
 * Vaults: a MuSig2 group holding funds in one Taproot output. A vault is its sorted member keys,
 * its policy and its network; everything else (aggregate key, commitment, script tree, address,
 * id) is derived, so every member's wallet computes the same address from the same descriptor.
 *
 * - Policy 1: n-of-n on the key path only (key-only output, zero merkle root), the address every
 *   Lotus wallet computes for the same keys.
 * - Policy 2 ("threshold"): the same n-of-n key path, plus a script leaf for every k-subset of
 *   members and optionally a timelocked recovery path (vault-tree.ts builds the tree).
 */
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { bech32m } from '@scure/base';
import { taggedHash } from '../crypto/hash.ts';
import { applyTaprootTweak, keyAgg, keySort } from '../crypto/musig2.ts';
import { parseCompressedPoint } from '../crypto/curve.ts';
import { encodeAddress } from '../chain/address.ts';
import { type NetworkParams, networkByChar } from '../chain/network.ts';
import { taprootScript } from '../chain/templates.ts';
import { VaultError } from './vault-error.ts';
import {
  MAX_AFTER_BLOCKS,
  type RecoveryPath,
  type VaultLeaf,
  buildVaultTree,
} from './vault-tree.ts';

export { VaultError } from './vault-error.ts';
export type { RecoveryPath, VaultLeaf } from './vault-tree.ts';

/** Every member signs, Taproot key path only. */
export const POLICY_MUSIG2_KEYPATH = 1;
/** Any k of the n members (a script leaf each), optionally recovery keys after a relative lock. */
export const POLICY_THRESHOLD = 2;
export type VaultPolicy = typeof POLICY_MUSIG2_KEYPATH | typeof POLICY_THRESHOLD;
export const DESCRIPTOR_VERSION = 1;
export const MIN_MEMBERS = 2;
export const MAX_MEMBERS = 100;
/** Recovery keys are at most as many as members (the descriptor keeps one byte for the count). */
export const MAX_RECOVERY_KEYS = MAX_MEMBERS;
export const MAX_LABEL_BYTES = 64;
const DESCRIPTOR_PREFIX = 'petalvault';
const BECH32_LIMIT = 12_000;
/** Lotus's target block spacing (lotusd chainparams nPowTargetSpacing = 2 × 60 s, every network). */
export const BLOCK_SPACING_SECONDS = 120;

/**
 * A vault may require every member to hold a burn-based identity (src/core/p2p/burn-identity.ts):
 * an OP_RETURN output burning at least `minSats` and naming the member's key, with at least
 * `minConfirmations`. Members' approvals then carry a proof that the others check on chain.
 */
export interface BurnRequirement {
  minSats: bigint;
  minConfirmations: number;
}

export interface Vault {
  network: NetworkParams;
  policy: VaultPolicy;
  /** Member keys, sorted bytewise: a member's index is its position here. */
  members: Uint8Array[];
  label: string;
  /** The untweaked n-of-n MuSig2 aggregate: the Taproot internal key. */
  aggregateKey: Uint8Array;
  /** The Taproot output key: aggregateKey tweaked with the merkle root (zero for policy 1). */
  commitment: Uint8Array;
  script: Uint8Array;
  address: string;
  /**
   * Stable identifier, hex: TH("Petal/vault", network ‖ policy ‖ sorted keys) for policy 1, and
   * for policy 2 the policy too (see `vaultIdPreimage`), so two policies never share an id.
   */
  id: string;
  /** Members must prove a burn-based identity (a policy setting: it does not change the id). */
  identity?: BurnRequirement;
  /** How many members must sign: n for policy 1. */
  threshold: number;
  /** Policy 2 only: the recovery path (keys sorted; a key's index is its position here). */
  recovery?: RecoveryPath;
  /** Policy 2 only: the script tree's root, which the commitment is tweaked with. */
  merkleRoot?: Uint8Array;
  /** Policy 2: every script leaf, signing leaves first (lexicographic), then recovery. [] for 1. */
  leaves: VaultLeaf[];
}

export interface VaultOptions {
  identity?: BurnRequirement;
  /** Signers needed, 2..n (default n). Below n, or with a recovery path, the vault is policy 2. */
  threshold?: number;
  /** Any `threshold` of `keys` (any order; not members) may spend after `afterBlocks` blocks. */
  recovery?: RecoveryPath;
}

/**
 * Builds a vault from its members' 33-byte keys (any order). Refuses fewer than 2 or more than
 * 100 members, duplicates and invalid keys. With `threshold` below n or a `recovery` path it is a
 * threshold vault (policy 2); otherwise exactly the n-of-n key-path vault of policy 1.
 *
 * Recovery keys must not be members: each key has one role, so a member index and a recovery
 * index never name the same signer, and "a member alone after a year" is written with a separate
 * (cold) key of that member's.
 *
 * @throws VaultError for a bad member set, threshold or recovery path, or a tree Lotus cannot
 *   carry (planVaultTree's message says what would fit).
 * @example
 *   const vault = createVault([alice, bob, carol], mainnet, 'Home', {
 *     threshold: 2,
 *     recovery: { afterBlocks: 21_600, keys: [dana], threshold: 1 },
 *   });
 */
export function createVault(
  members: Uint8Array[],
  network: NetworkParams,
  label = '',
  options: VaultOptions = {},
): Vault {
  if (members.length < MIN_MEMBERS || members.length > MAX_MEMBERS) {
    throw new VaultError(
      `A vault has ${MIN_MEMBERS} to ${MAX_MEMBERS} members, not ${members.length}`,
    );
  }
  if (utf8ToBytes(label).length > MAX_LABEL_BYTES) throw new VaultError('Vault label is too long');
  members.forEach((key, i) => {
    try {
      parseCompressedPoint(key);
    } catch {
      throw new VaultError(`Member key #${i + 1} is not a valid public key`);
    }
  });
  const sorted = keySort(members);
  if (new Set(sorted.map(bytesToHex)).size !== sorted.length)
    throw new VaultError('A member key appears twice');
  const identity = options.identity;
  if (
    identity &&
    (identity.minSats < 0n ||
      identity.minSats >= 2n ** 64n ||
      !Number.isInteger(identity.minConfirmations) ||
      identity.minConfirmations < 0 ||
      identity.minConfirmations > 0xffff)
  )
    throw new VaultError('Invalid burn identity requirement');
  const threshold = options.threshold ?? sorted.length;
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > sorted.length) {
    throw new VaultError(
      `A vault of ${sorted.length} members needs 2 to ${sorted.length} signers, not ${threshold}`,
    );
  }
  const recovery = options.recovery && checkRecovery(options.recovery, sorted);
  const policy: VaultPolicy =
    threshold === sorted.length && !recovery ? POLICY_MUSIG2_KEYPATH : POLICY_THRESHOLD;
  const tree =
    policy === POLICY_THRESHOLD ? buildVaultTree(sorted, threshold, recovery) : undefined;
  const ctx = applyTaprootTweak(keyAgg(sorted), tree?.merkleRoot);
  const script = taprootScript(ctx.signingPublicKey);
  const id = bytesToHex(
    taggedHash('Petal/vault', ...vaultIdPreimage(network, policy, sorted, threshold, recovery)),
  );
  return {
    network,
    policy,
    members: sorted,
    label,
    aggregateKey: ctx.aggregatePublicKey,
    commitment: ctx.signingPublicKey,
    script,
    address: encodeAddress(script, network),
    id,
    ...(identity ? { identity: { ...identity } } : {}),
    threshold,
    ...(recovery ? { recovery } : {}),
    ...(tree ? { merkleRoot: tree.merkleRoot } : {}),
    leaves: tree?.leaves ?? [],
  };
}

/** Validates a recovery path and returns it with its keys sorted (a copy). */
function checkRecovery(recovery: RecoveryPath, members: Uint8Array[]): RecoveryPath {
  const { afterBlocks, keys, threshold } = recovery;
  if (!Number.isInteger(afterBlocks) || afterBlocks < 1 || afterBlocks > MAX_AFTER_BLOCKS) {
    throw new VaultError(
      `Recovery waits 1 to ${MAX_AFTER_BLOCKS.toLocaleString('en-US')} blocks ` +
        `(${aboutDuration(MAX_AFTER_BLOCKS)}), not ${afterBlocks}`,
    );
  }
  if (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_RECOVERY_KEYS) {
    throw new VaultError(`Recovery needs 1 to ${MAX_RECOVERY_KEYS} keys`);
  }
  keys.forEach((key, i) => {
    try {
      parseCompressedPoint(key);
    } catch {
      throw new VaultError(`Recovery key #${i + 1} is not a valid public key`);
    }
  });
  const memberHex = new Set(members.map(bytesToHex));
  keys.forEach((key, i) => {
    if (memberHex.has(bytesToHex(key)))
      throw new VaultError(`Recovery key #${i + 1} is a member key: give recovery its own key`);
  });
  const sorted = keySort(keys);
  if (new Set(sorted.map(bytesToHex)).size !== sorted.length)
    throw new VaultError('A recovery key appears twice');
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > sorted.length) {
    throw new VaultError(
      `Recovery by ${sorted.length} ${sorted.length === 1 ? 'key' : 'keys'} needs 1 to ` +
        `${sorted.length} signers, not ${threshold}`,
    );
  }
  return { afterBlocks, keys: sorted, threshold };
}

/**
 * What the vault id hashes after its tag. Policy 1: network char ‖ u8 1 ‖ sorted keys (unchanged
 * since the first release). Policy 2: network char ‖ u8 2 ‖ u8 n ‖ sorted keys ‖ u8 k ‖ u8 flags
 * (bit 0: recovery) and, with recovery, ‖ u16 afterBlocks ‖ u8 count ‖ sorted keys ‖ u8 m. Counts
 * make every field's length explicit, so no two policies hash the same bytes.
 */
function vaultIdPreimage(
  network: NetworkParams,
  policy: VaultPolicy,
  members: Uint8Array[],
  threshold: number,
  recovery: RecoveryPath | undefined,
): Uint8Array[] {
  const head = [utf8ToBytes(network.addressChar), Uint8Array.of(policy)];
  if (policy === POLICY_MUSIG2_KEYPATH) return [...head, ...members];
  return [
    ...head,
    Uint8Array.of(members.length),
    ...members,
    Uint8Array.of(threshold, recovery ? 1 : 0),
    ...(recovery ? recoveryBytes(recovery) : []),
  ];
}

/** u16 afterBlocks ‖ u8 count ‖ keys ‖ u8 m: the recovery path in the id and the descriptor. */
function recoveryBytes(recovery: RecoveryPath): Uint8Array[] {
  return [
    Uint8Array.of(recovery.afterBlocks >> 8, recovery.afterBlocks & 0xff, recovery.keys.length),
    ...recovery.keys,
    Uint8Array.of(recovery.threshold),
  ];
}

/** The signing leaf for exactly these member indices (any order), or undefined. */
export function leafFor(vault: Vault, signers: number[]): VaultLeaf | undefined {
  const wanted = indexListKey(signers);
  return vault.leaves.find((l) => l.kind === 'signers' && indexListKey(l.signers) === wanted);
}

/** The recovery leaf for exactly these indices into `vault.recovery.keys`, or undefined. */
export function recoveryLeafFor(vault: Vault, keyIndices: number[]): VaultLeaf | undefined {
  const wanted = indexListKey(keyIndices);
  return vault.leaves.find((l) => l.kind === 'recovery' && indexListKey(l.signers) === wanted);
}

function indexListKey(indices: number[]): string {
  return [...indices].sort((a, b) => a - b).join(',');
}

/** A short code members read to each other to confirm they hold the same vault. */
export function vaultFingerprint(vault: Vault): string {
  return vault.id
    .slice(0, 8)
    .toUpperCase()
    .replace(/(.{4})/, '$1-');
}

/** Descriptor version 2 = version 1 followed by a burn identity requirement. */
const DESCRIPTOR_VERSION_IDENTITY = 2;
/** Descriptor version 3 = a threshold vault (policy 2), with optional recovery and identity. */
export const DESCRIPTOR_VERSION_THRESHOLD = 3;
const FLAG_RECOVERY = 1;
const FLAG_IDENTITY = 2;

/**
 * The shareable, QR-friendly descriptor: bech32m (checksummed; uppercase fits QR alphanumeric
 * mode) over version ‖ network char ‖ policy ‖ n ‖ n × 33-byte key ‖ label length ‖ label, and
 * - version 1 (policy 1): nothing more;
 * - version 2 (policy 1 with burn identities): ‖ u64 min burn (sats) ‖ u16 min confirmations;
 * - version 3 (policy 2): ‖ u8 k ‖ u8 flags (bit 0 recovery, bit 1 identity), then with recovery
 *   ‖ u16 afterBlocks ‖ u8 count ‖ count × 33-byte key ‖ u8 m, then with identity the 10 bytes of
 *   version 2. Integers are big-endian.
 */
export function encodeVaultDescriptor(vault: Vault): string {
  const label = utf8ToBytes(vault.label);
  const threshold = vault.policy === POLICY_THRESHOLD;
  const parts = [
    Uint8Array.of(
      threshold
        ? DESCRIPTOR_VERSION_THRESHOLD
        : vault.identity
          ? DESCRIPTOR_VERSION_IDENTITY
          : DESCRIPTOR_VERSION,
      vault.network.addressChar.charCodeAt(0),
      vault.policy,
      vault.members.length,
    ),
    ...vault.members,
    Uint8Array.of(label.length),
    label,
  ];
  if (threshold) {
    const flags = (vault.recovery ? FLAG_RECOVERY : 0) | (vault.identity ? FLAG_IDENTITY : 0);
    parts.push(Uint8Array.of(vault.threshold, flags));
    if (vault.recovery) parts.push(...recoveryBytes(vault.recovery));
  }
  if (vault.identity) {
    const ext = new Uint8Array(10);
    const view = new DataView(ext.buffer);
    view.setBigUint64(0, vault.identity.minSats);
    view.setUint16(8, vault.identity.minConfirmations);
    parts.push(ext);
  }
  return bech32m.encode(DESCRIPTOR_PREFIX, bech32m.toWords(concatBytes(...parts)), BECH32_LIMIT);
}

/**
 * Parses a descriptor and re-derives the vault from it. With `expected`, the network must match.
 * @throws VaultError for a bad checksum, another version or policy, invalid member or recovery
 *   keys, or any damage to the payload.
 */
export function decodeVaultDescriptor(descriptor: string, expected?: NetworkParams): Vault {
  let payload: Uint8Array;
  try {
    const decoded = bech32m.decode(
      descriptor.trim().toLowerCase() as `${string}1${string}`,
      BECH32_LIMIT,
    );
    if (decoded.prefix !== DESCRIPTOR_PREFIX) throw new VaultError('Not a Petal vault descriptor');
    payload = bech32m.fromWords(decoded.words);
  } catch (err) {
    if (err instanceof VaultError) throw err;
    throw new VaultError('Vault descriptor is damaged (checksum or characters)');
  }
  if (payload.length < 4) throw new VaultError('Vault descriptor is too short');
  const [version, netChar, policy, count] = payload as unknown as [number, number, number, number];
  if (
    version !== DESCRIPTOR_VERSION &&
    version !== DESCRIPTOR_VERSION_IDENTITY &&
    version !== DESCRIPTOR_VERSION_THRESHOLD
  )
    throw new VaultError(`Unsupported vault descriptor version ${version}`);
  const network = networkByChar(String.fromCharCode(netChar));
  if (!network) throw new VaultError('Unknown network in vault descriptor');
  if (expected && expected.name !== network.name)
    throw new VaultError(`Vault is for ${network.name}, not ${expected.name}`);
  const isThreshold = version === DESCRIPTOR_VERSION_THRESHOLD;
  if (policy !== (isThreshold ? POLICY_THRESHOLD : POLICY_MUSIG2_KEYPATH))
    throw new VaultError(`Unsupported vault policy ${policy}`);
  const keysEnd = 4 + count * 33;
  if (payload.length < keysEnd + 1) throw new VaultError('Vault descriptor is truncated');
  const members = Array.from({ length: count }, (_, i) =>
    payload.slice(4 + i * 33, 4 + (i + 1) * 33),
  );
  const labelLength = payload[keysEnd] as number;
  const labelEnd = keysEnd + 1 + labelLength;
  const extBytes = version === DESCRIPTOR_VERSION_IDENTITY ? 10 : 0;
  if (isThreshold ? payload.length < labelEnd : payload.length !== labelEnd + extBytes)
    throw new VaultError('Vault descriptor has a bad label length');
  let label: string;
  try {
    label = new TextDecoder('utf-8', { fatal: true }).decode(payload.slice(keysEnd + 1, labelEnd));
  } catch {
    throw new VaultError('Vault label is not valid UTF-8');
  }
  if (isThreshold) {
    const options = readThresholdTail(payload, labelEnd, count);
    return rederive(() => createVault(members, network, label, options));
  }
  if (!extBytes) return rederive(() => createVault(members, network, label));
  const view = new DataView(payload.buffer, payload.byteOffset + labelEnd, 10);
  return rederive(() =>
    createVault(members, network, label, {
      identity: { minSats: view.getBigUint64(0), minConfirmations: view.getUint16(8) },
    }),
  );
}

/** The fields after the label of a version-3 descriptor, read strictly to the last byte. */
function readThresholdTail(payload: Uint8Array, offset: number, members: number): VaultOptions {
  let at = offset;
  const take = (length: number): Uint8Array => {
    if (at + length > payload.length) throw new VaultError('Vault descriptor is truncated');
    const bytes = payload.slice(at, at + length);
    at += length;
    return bytes;
  };
  const u8 = () => take(1)[0] as number;
  const [threshold, flags] = [u8(), u8()];
  if (flags & ~(FLAG_RECOVERY | FLAG_IDENTITY))
    throw new VaultError(`Unknown vault descriptor flags ${flags}`);
  const options: VaultOptions = { threshold };
  if (flags & FLAG_RECOVERY) {
    const afterBlocks = new DataView(take(2).buffer).getUint16(0);
    const keys = Array.from({ length: u8() }, () => take(33));
    options.recovery = { afterBlocks, keys, threshold: u8() };
  }
  if (flags & FLAG_IDENTITY) {
    const view = new DataView(take(10).buffer);
    options.identity = { minSats: view.getBigUint64(0), minConfirmations: view.getUint16(8) };
  }
  if (at !== payload.length) throw new VaultError('Vault descriptor has trailing bytes');
  // One descriptor per vault: an n-of-n vault without recovery is policy 1 (version 1 or 2).
  if (threshold === members && !options.recovery)
    throw new VaultError('A version-3 vault descriptor must carry a threshold or a recovery path');
  return options;
}

/** Re-derives a decoded vault; whatever goes wrong is the descriptor's fault, so a VaultError. */
function rederive(build: () => Vault): Vault {
  try {
    return build();
  } catch (err) {
    if (err instanceof VaultError) throw err;
    throw new VaultError(
      `Vault descriptor does not describe a valid vault (${(err as Error).message})`,
    );
  }
}

/** The member index (sorted position) of a key, or -1 if it is not a member. */
export function memberIndex(vault: Vault, publicKey: Uint8Array): number {
  const hex = bytesToHex(publicKey);
  return vault.members.findIndex((m) => bytesToHex(m) === hex);
}

/**
 * The vault's spending rule in plain words, for the UI. `names` lists the members by index, then
 * the recovery keys by index; a missing name reads "member #i" or "recovery key #i".
 * @example
 *   describePolicy(vault, ['Alice', 'Bob', 'Carol', 'Dana']);
 *   // "any 2 of Alice, Bob and Carol; Dana alone after 21,600 blocks (about 4 weeks)"
 *   describePolicy(twoOfTwo, ['Bob (member 1)', 'you']); // "both Bob (member 1) and you"
 */
export function describePolicy(vault: Vault, names: string[] = []): string {
  const n = vault.members.length;
  const members = vault.members.map((_, i) => names[i] ?? `member #${i + 1}`);
  const signing = whoOf(vault.threshold, members);
  const recovery = vault.recovery;
  if (!recovery) return signing;
  const keys = recovery.keys.map((_, i) => names[n + i] ?? `recovery key #${i + 1}`);
  const who = whoOf(recovery.threshold, keys);
  const blocks = recovery.afterBlocks;
  return (
    `${signing}; ${who} after ${blocks.toLocaleString('en-US')} ${blocks === 1 ? 'block' : 'blocks'} ` +
    `(${aboutDuration(blocks)})`
  );
}

/** "k of these people" in words: "Dana alone", "both A and B", "all 3 of A, B and C", "any 2 of …". */
function whoOf(k: number, names: string[]): string {
  if (names.length === 1) return `${names[0]} alone`;
  const list = `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  if (k < names.length) return `any ${k} of ${list}`;
  return names.length === 2 ? `both ${list}` : `all ${k} of ${list}`;
}

/**
 * Roughly how long `blocks` Lotus blocks take at the 2-minute target, in the largest unit of which
 * there are at least two: "about 20 minutes", "about 4 weeks", "about 3 months". Real time drifts
 * with hash rate, hence "about".
 */
export function aboutDuration(blocks: number): string {
  const minutes = (blocks * BLOCK_SPACING_SECONDS) / 60;
  const units: [string, number][] = [
    ['years', 365.25 * 24 * 60],
    ['months', 30.44 * 24 * 60],
    ['weeks', 7 * 24 * 60],
    ['days', 24 * 60],
    ['hours', 60],
  ];
  const [name, size] = units.find(([, unit]) => minutes >= 2 * unit) ?? ['minutes', 1];
  return `about ${Math.round(minutes / size)} ${name}`;
}
