/**
 * Vaults: an n-of-n MuSig2 group holding funds in one Taproot key-path output. A vault is its
 * sorted member keys, its policy and its network; everything else (aggregate key, commitment,
 * script, address, id) is derived, so every member's wallet computes the same address from the
 * same descriptor, and the address matches what the Lotus SDK computes for the same keys.
 */
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { bech32m } from '@scure/base';
import { taggedHash } from '../crypto/hash.ts';
import { applyTaprootTweak, keyAgg, keySort } from '../crypto/musig2.ts';
import { parseCompressedPoint } from '../crypto/curve.ts';
import { encodeAddress } from '../chain/address.ts';
import { type NetworkParams, networkByChar } from '../chain/network.ts';
import { taprootScript } from '../chain/templates.ts';

/** The only policy in this version: every member signs, Taproot key path. */
export const POLICY_MUSIG2_KEYPATH = 1;
export const DESCRIPTOR_VERSION = 1;
export const MIN_MEMBERS = 2;
export const MAX_MEMBERS = 100;
export const MAX_LABEL_BYTES = 64;
const DESCRIPTOR_PREFIX = 'petalvault';
const BECH32_LIMIT = 12_000;

export class VaultError extends Error {
  override name = 'VaultError';
}

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
  policy: typeof POLICY_MUSIG2_KEYPATH;
  /** Member keys, sorted bytewise: a member's index is its position here. */
  members: Uint8Array[];
  label: string;
  aggregateKey: Uint8Array;
  commitment: Uint8Array;
  script: Uint8Array;
  address: string;
  /** Stable identifier: TH("Petal/vault", network ‖ policy ‖ sorted keys), hex. */
  id: string;
  /** Members must prove a burn-based identity (a policy setting: it does not change the id). */
  identity?: BurnRequirement;
}

export interface VaultOptions {
  identity?: BurnRequirement;
}

/**
 * Builds a vault from its members' 33-byte keys (any order). Refuses fewer than 2 or more than
 * 100 members, duplicates and invalid keys.
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
  const ctx = applyTaprootTweak(keyAgg(sorted));
  const script = taprootScript(ctx.signingPublicKey);
  const id = bytesToHex(
    taggedHash(
      'Petal/vault',
      utf8ToBytes(network.addressChar),
      Uint8Array.of(POLICY_MUSIG2_KEYPATH),
      ...sorted,
    ),
  );
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
  return {
    network,
    policy: POLICY_MUSIG2_KEYPATH,
    members: sorted,
    label,
    aggregateKey: ctx.aggregatePublicKey,
    commitment: ctx.signingPublicKey,
    script,
    address: encodeAddress(script, network),
    id,
    ...(identity ? { identity: { ...identity } } : {}),
  };
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

/**
 * The shareable, QR-friendly descriptor: bech32m (checksummed; uppercase fits QR alphanumeric
 * mode) over version ‖ network char ‖ policy ‖ n ‖ n × 33-byte key ‖ label length ‖ label, and
 * for a vault requiring burn identities (version 2) ‖ u64 min burn (sats) ‖ u16 min confirmations.
 */
export function encodeVaultDescriptor(vault: Vault): string {
  const label = utf8ToBytes(vault.label);
  const parts = [
    Uint8Array.of(
      vault.identity ? DESCRIPTOR_VERSION_IDENTITY : DESCRIPTOR_VERSION,
      vault.network.addressChar.charCodeAt(0),
      vault.policy,
      vault.members.length,
    ),
    ...vault.members,
    Uint8Array.of(label.length),
    label,
  ];
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
 * @throws VaultError for a bad checksum, another version or policy, or invalid member keys.
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
  if (version !== DESCRIPTOR_VERSION && version !== DESCRIPTOR_VERSION_IDENTITY)
    throw new VaultError(`Unsupported vault descriptor version ${version}`);
  const network = networkByChar(String.fromCharCode(netChar));
  if (!network) throw new VaultError('Unknown network in vault descriptor');
  if (expected && expected.name !== network.name)
    throw new VaultError(`Vault is for ${network.name}, not ${expected.name}`);
  if (policy !== POLICY_MUSIG2_KEYPATH) throw new VaultError(`Unsupported vault policy ${policy}`);
  const keysEnd = 4 + count * 33;
  if (payload.length < keysEnd + 1) throw new VaultError('Vault descriptor is truncated');
  const members = Array.from({ length: count }, (_, i) =>
    payload.slice(4 + i * 33, 4 + (i + 1) * 33),
  );
  const labelLength = payload[keysEnd] as number;
  const labelEnd = keysEnd + 1 + labelLength;
  const extBytes = version === DESCRIPTOR_VERSION_IDENTITY ? 10 : 0;
  if (payload.length !== labelEnd + extBytes)
    throw new VaultError('Vault descriptor has a bad label length');
  let label: string;
  try {
    label = new TextDecoder('utf-8', { fatal: true }).decode(payload.slice(keysEnd + 1, labelEnd));
  } catch {
    throw new VaultError('Vault label is not valid UTF-8');
  }
  if (!extBytes) return createVault(members, network, label);
  const view = new DataView(payload.buffer, payload.byteOffset + labelEnd, 10);
  return createVault(members, network, label, {
    identity: { minSats: view.getBigUint64(0), minConfirmations: view.getUint16(8) },
  });
}

/** The member index (sorted position) of a key, or -1 if it is not a member. */
export function memberIndex(vault: Vault, publicKey: Uint8Array): number {
  const hex = bytesToHex(publicKey);
  return vault.members.findIndex((m) => bytesToHex(m) === hex);
}
