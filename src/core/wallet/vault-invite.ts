/**
 * Forming a vault by invitation, without a server: the creator shares a signed invite code; each
 * member answers with a join code carrying their vault key and a signature proving they hold it
 * (so nobody can be enrolled with a key they do not control); the creator assembles the vault
 * descriptor, and every member's wallet re-derives it and confirms the same address.
 *
 * The invite carries the vault's policy, so every member reads what they are joining before they
 * answer: version 1 is n-of-n (every member signs), version 2 adds k and an optional recovery
 * path (docs/PROTOCOL.md §2.3, §2.5). An n-of-n invite without recovery is still written as
 * version 1, so wallets that only read version 1 keep answering it.
 *
 * Version 3 is the one-code invite (vault-formation.ts): version 2's policy bytes (always written)
 * followed by a fresh random 32-byte secret and the creator's name. Members who hold it answer
 * over the network on a rendezvous derived from the secret; join codes still answer it by hand.
 */
import { bytesToHex, concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { bech32m } from '@scure/base';
import { taggedHash } from '../crypto/hash.ts';
import { parseCompressedPoint } from '../crypto/curve.ts';
import { keySort } from '../crypto/musig2.ts';
import { getPublicKey, schnorrSign, schnorrVerify } from '../crypto/schnorr.ts';
import { type NetworkParams, networkByChar } from '../chain/network.ts';
import {
  MAX_LABEL_BYTES,
  MAX_MEMBERS,
  MIN_MEMBERS,
  type RecoveryPath,
  type Vault,
  VaultError,
  type VaultOptions,
  createVault,
  describePolicy,
} from './vault.ts';
import { MAX_AFTER_BLOCKS, planVaultTree } from './vault-tree.ts';
import { checkMemberName } from './member-name.ts';
import { policyNames } from './roster.ts';

const INVITE_PREFIX = 'petalinvite';
const JOIN_PREFIX = 'petaljoin';
/** Join codes, and invites for an n-of-n vault without recovery. */
const VERSION = 1;
/** Invites carrying a threshold below n or a recovery path. */
const VERSION_POLICY = 2;
/** One-code invites: version 2's layout with the policy always present, a secret and a name. */
const VERSION_FORMATION = 3;
export const FORMATION_SECRET_BYTES = 32;
/** One-code invites expire after a day unless the creator says otherwise. */
export const FORMATION_INVITE_TTL_SECONDS = 24 * 3600;
const LIMIT = 1000;
/**
 * The most recovery keys an invite carries: 12 keep the longest invite (64-byte label) within
 * the 1,000 characters of a code. A vault needing more recovery keys is assembled with
 * `createVault` directly.
 */
export const MAX_INVITE_RECOVERY_KEYS = 12;
/** Fixed bytes of a version-1 invite before the label: version … label length. */
const HEAD = 57;
const SIG = 64;

export interface VaultInvite {
  network: NetworkParams;
  inviteId: Uint8Array;
  /** Total members including the creator. */
  memberCount: number;
  /** Seconds since epoch after which the invite is refused. */
  expiresAt: number;
  creatorKey: Uint8Array;
  label: string;
  /** Signers needed, 2..memberCount (memberCount for a version-1 invite). */
  threshold: number;
  /** Any `recovery.threshold` of its keys may spend after `afterBlocks` blocks (keys sorted). */
  recovery?: RecoveryPath;
  /** Version 3: the secret the rendezvous is derived from, and the name the creator chose. */
  rendezvous?: InviteRendezvous;
}

export interface InviteRendezvous {
  secret: Uint8Array;
  creatorName: string;
}

/** The spending rule an invite proposes: k of the members, optionally a recovery path. */
export interface InvitePolicy {
  threshold: number;
  recovery?: RecoveryPath;
}

export interface VaultJoin {
  inviteId: Uint8Array;
  memberKey: Uint8Array;
}

const carriesPolicy = (i: InvitePolicy & { memberCount: number }) =>
  i.threshold !== i.memberCount || i.recovery !== undefined;

/**
 * Version 1: version ‖ network ‖ invite id ‖ u8 n ‖ u32 expiry ‖ creator key ‖ u8 len ‖ label.
 * Version 2 continues with u8 k ‖ u8 flags (bit 0 recovery) and, with recovery, u16 afterBlocks ‖
 * u8 count ‖ count × 33-byte key ‖ u8 m — the layout of descriptor version 3.
 * Version 3 is version 2 (policy bytes even for n-of-n) ‖ 32-byte secret ‖ u8 len ‖ creator name.
 */
function invitePayload(i: VaultInvite): Uint8Array {
  const label = utf8ToBytes(i.label);
  const expires = new Uint8Array(4);
  new DataView(expires.buffer).setUint32(0, i.expiresAt);
  const policy = carriesPolicy(i) || i.rendezvous !== undefined;
  const r = i.recovery;
  const name = i.rendezvous && utf8ToBytes(i.rendezvous.creatorName);
  const version = i.rendezvous ? VERSION_FORMATION : policy ? VERSION_POLICY : VERSION;
  return concatBytes(
    Uint8Array.of(version, i.network.addressChar.charCodeAt(0)),
    i.inviteId,
    Uint8Array.of(i.memberCount),
    expires,
    i.creatorKey,
    Uint8Array.of(label.length),
    label,
    ...(policy ? [Uint8Array.of(i.threshold, r ? 1 : 0)] : []),
    ...(r
      ? [
          Uint8Array.of(r.afterBlocks >> 8, r.afterBlocks & 0xff, r.keys.length),
          ...r.keys,
          Uint8Array.of(r.threshold),
        ]
      : []),
    ...(i.rendezvous && name ? [i.rendezvous.secret, Uint8Array.of(name.length), name] : []),
  );
}

/**
 * Checks a policy for a vault of `memberCount` members before anyone joins: k within 2..n, a
 * recovery path Lotus can lock (1..65,535 blocks) with valid, distinct keys that are not the
 * creator's, and a script tree Lotus and Petal can carry. Joiners' keys are checked against the
 * recovery keys when the vault is assembled (`createVault`).
 * @returns the policy with its recovery keys sorted (a copy).
 * @throws VaultError naming what is wrong, and for a tree too large, what would fit.
 * @example
 *   checkInvitePolicy(3, { threshold: 2, recovery: { afterBlocks: 21_600, keys: [dana], threshold: 1 } });
 */
export function checkInvitePolicy(
  memberCount: number,
  policy: InvitePolicy,
  creatorKey?: Uint8Array,
): InvitePolicy {
  const { threshold, recovery } = policy;
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > memberCount) {
    throw new VaultError(
      `A vault of ${memberCount} members needs 2 to ${memberCount} signers, not ${threshold}`,
    );
  }
  if (!recovery) {
    planVaultTree({ members: memberCount, threshold });
    return { threshold };
  }
  const { afterBlocks, keys } = recovery;
  if (!Number.isInteger(afterBlocks) || afterBlocks < 1 || afterBlocks > MAX_AFTER_BLOCKS) {
    throw new VaultError(
      `Recovery waits 1 to ${MAX_AFTER_BLOCKS.toLocaleString('en-US')} blocks (about 91 days ` +
        `of 2-minute blocks), not ${afterBlocks}`,
    );
  }
  if (keys.length < 1 || keys.length > MAX_INVITE_RECOVERY_KEYS) {
    throw new VaultError(`An invite carries 1 to ${MAX_INVITE_RECOVERY_KEYS} recovery keys`);
  }
  keys.forEach((key, i) => {
    try {
      parseCompressedPoint(key);
    } catch {
      throw new VaultError(`Recovery key #${i + 1} is not a valid public key`);
    }
    if (creatorKey && bytesToHex(key) === bytesToHex(creatorKey))
      throw new VaultError(
        `Recovery key #${i + 1} is the creator’s member key: give recovery its own key`,
      );
  });
  const sorted = keySort(keys);
  if (new Set(sorted.map(bytesToHex)).size !== sorted.length)
    throw new VaultError('A recovery key appears twice');
  if (
    !Number.isInteger(recovery.threshold) ||
    recovery.threshold < 1 ||
    recovery.threshold > sorted.length
  ) {
    throw new VaultError(
      `Recovery by ${sorted.length} ${sorted.length === 1 ? 'key' : 'keys'} needs 1 to ` +
        `${sorted.length} signers, not ${recovery.threshold}`,
    );
  }
  planVaultTree({
    members: memberCount,
    threshold,
    recovery: { keys: sorted.length, threshold: recovery.threshold },
  });
  return { threshold, recovery: { afterBlocks, keys: sorted, threshold: recovery.threshold } };
}

/**
 * An invite's spending rule in plain words (describePolicy's wording), members named "Member 1"…
 * in join order, the creator first — the vault's key order comes only with the keys — and the
 * recovery key "the recovery key" (or "recovery key 1"…). `me`, this wallet's place in that
 * order once known (0 for the creator), reads "you".
 * @example
 *   describeInvitePolicy({ memberCount: 3, threshold: 2, recovery });
 *   // "any 2 of Member 1, Member 2 and Member 3; the recovery key alone after 21,600 blocks (about 4 weeks)"
 *   describeInvitePolicy({ memberCount: 3, threshold: 2 }, { me: 0 });
 *   // "any 2 of you, Member 2 and Member 3"
 */
export function describeInvitePolicy(
  invite: Pick<VaultInvite, 'memberCount' | 'threshold' | 'recovery'>,
  { me = -1 }: { me?: number } = {},
): string {
  const n = invite.memberCount;
  const names = policyNames(
    { me },
    { members: n, recoveryKeys: invite.recovery?.keys.length ?? 0 },
  );
  // describePolicy reads only the member count, k and the recovery path; the keys are not known.
  const shape: Pick<Vault, 'members' | 'threshold' | 'recovery'> = {
    members: Array.from({ length: n }, () => new Uint8Array(33)),
    threshold: invite.threshold,
    ...(invite.recovery ? { recovery: invite.recovery } : {}),
  };
  return describePolicy(shape as Vault, names);
}

function encode(prefix: string, bytes: Uint8Array): string {
  return bech32m.encode(prefix, bech32m.toWords(bytes), LIMIT);
}

function decode(prefix: string, code: string, what: string): Uint8Array {
  try {
    const decoded = bech32m.decode(code.trim().toLowerCase() as `${string}1${string}`, LIMIT);
    if (decoded.prefix !== prefix) throw new Error('prefix');
    return bech32m.fromWords(decoded.words);
  } catch {
    throw new VaultError(`This is not a valid ${what} code (damaged or mistyped)`);
  }
}

/**
 * Creates a signed invite; `creatorSecret` is the creator's vault key (account 1). Without
 * `threshold` (or with threshold = memberCount) and without `recovery` it is an n-of-n invite.
 * @throws VaultError for a bad member count, label or policy (see checkInvitePolicy).
 * @example
 *   const { code } = createInvite(secret, { network: mainnet, memberCount: 3, threshold: 2 });
 */
export function createInvite(
  creatorSecret: Uint8Array,
  options: {
    network: NetworkParams;
    memberCount: number;
    label?: string;
    threshold?: number;
    recovery?: RecoveryPath;
    ttlSeconds?: number;
    now?: number;
    /** A one-code invite (version 3): a fresh secret, and the name the creator goes by. */
    rendezvous?: { creatorName: string };
  },
): { invite: VaultInvite; code: string } {
  if (options.memberCount < MIN_MEMBERS || options.memberCount > MAX_MEMBERS) {
    throw new VaultError(`A vault has ${MIN_MEMBERS} to ${MAX_MEMBERS} members`);
  }
  const label = options.label ?? '';
  if (utf8ToBytes(label).length > MAX_LABEL_BYTES) throw new VaultError('Vault label is too long');
  const creatorKey = getPublicKey(creatorSecret);
  const policy = checkInvitePolicy(
    options.memberCount,
    {
      threshold: options.threshold ?? options.memberCount,
      ...(options.recovery ? { recovery: options.recovery } : {}),
    },
    creatorKey,
  );
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const rendezvous = options.rendezvous && {
    secret: randomBytes(FORMATION_SECRET_BYTES),
    creatorName: checkMemberName(options.rendezvous.creatorName),
  };
  const invite: VaultInvite = {
    network: options.network,
    inviteId: randomBytes(16),
    memberCount: options.memberCount,
    expiresAt:
      now + (options.ttlSeconds ?? (rendezvous ? FORMATION_INVITE_TTL_SECONDS : 7 * 24 * 3600)),
    creatorKey,
    label,
    ...policy,
    ...(rendezvous ? { rendezvous } : {}),
  };
  const payload = invitePayload(invite);
  const sig = schnorrSign(taggedHash('Petal/vault-invite', payload), creatorSecret);
  try {
    return { invite, code: encode(INVITE_PREFIX, concatBytes(payload, sig)) };
  } catch {
    // Only a one-code invite with many recovery keys, a long label and a long name gets here.
    throw new VaultError(
      `This invite does not fit one code of ${LIMIT} characters: use fewer recovery keys or a ` +
        'shorter name',
    );
  }
}

/**
 * Decodes and checks an invite (version 1 or 2): signature by the creator, network, not expired,
 * and for version 2 a policy that a vault of its members can have (checkInvitePolicy).
 * @throws VaultError for a damaged, forged, foreign, expired or impossible invite.
 */
export function readInvite(
  code: string,
  options: { network?: NetworkParams; now?: number } = {},
): VaultInvite {
  const bytes = decode(INVITE_PREFIX, code, 'vault invite');
  const version = bytes[0];
  if (
    bytes.length < HEAD + SIG ||
    (version !== VERSION && version !== VERSION_POLICY && version !== VERSION_FORMATION)
  )
    throw new VaultError('Unsupported or truncated invite');
  const network = networkByChar(String.fromCharCode(bytes[1] as number));
  if (!network) throw new VaultError('Invite names an unknown network');
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const labelEnd = HEAD + (bytes[56] as number);
  const payloadEnd = bytes.length - SIG;
  const memberCount = bytes[18] as number;
  const policyEnd =
    version === VERSION_FORMATION ? labelEnd + (policyLength(bytes, labelEnd) ?? 0) : payloadEnd;
  const policy =
    version === VERSION
      ? labelEnd === payloadEnd
        ? { threshold: memberCount }
        : undefined
      : policyEnd > labelEnd
        ? readPolicy(bytes, labelEnd, policyEnd)
        : undefined;
  if (!policy) throw new VaultError('Invite has a bad length');
  const rendezvous =
    version === VERSION_FORMATION ? readRendezvous(bytes, policyEnd, payloadEnd) : undefined;
  let label: string;
  try {
    label = new TextDecoder('utf-8', { fatal: true }).decode(bytes.slice(HEAD, labelEnd));
  } catch {
    throw new VaultError('Invite label is not valid text');
  }
  const invite: VaultInvite = {
    network,
    inviteId: bytes.slice(2, 18),
    memberCount,
    expiresAt: view.getUint32(19),
    creatorKey: bytes.slice(23, 56),
    label,
    ...policy,
    ...(rendezvous ? { rendezvous } : {}),
  };
  const payload = bytes.slice(0, payloadEnd);
  if (
    !schnorrVerify(
      bytes.slice(payloadEnd),
      taggedHash('Petal/vault-invite', payload),
      invite.creatorKey,
    )
  ) {
    throw new VaultError('Invite signature is invalid');
  }
  if (memberCount < MIN_MEMBERS || memberCount > MAX_MEMBERS)
    throw new VaultError(
      `Invite asks for ${memberCount} members; a vault has ${MIN_MEMBERS} to ${MAX_MEMBERS}`,
    );
  // A version-2 invite that is really n-of-n would have been written as version 1.
  if (version === VERSION_POLICY && !carriesPolicy(invite))
    throw new VaultError('Unsupported or truncated invite');
  Object.assign(invite, checkInvitePolicy(memberCount, policy, invite.creatorKey));
  if (options.network && options.network.name !== network.name)
    throw new VaultError(`Invite is for ${network.name}`);
  if ((options.now ?? Math.floor(Date.now() / 1000)) > invite.expiresAt)
    throw new VaultError('This invite has expired');
  return invite;
}

/** How many bytes version 2's policy takes from `at`, or undefined if they cannot be there. */
function policyLength(bytes: Uint8Array, at: number): number | undefined {
  if (at + 2 > bytes.length) return undefined;
  if (bytes[at + 1] === 0) return 2;
  if (at + 5 > bytes.length) return undefined;
  return 5 + (bytes[at + 4] as number) * 33 + 1;
}

/** Version 3's secret and creator name, from `at` to exactly `end`. */
function readRendezvous(bytes: Uint8Array, at: number, end: number): InviteRendezvous {
  const nameAt = at + FORMATION_SECRET_BYTES + 1;
  if (nameAt > end || nameAt + (bytes[nameAt - 1] as number) !== end)
    throw new VaultError('Invite has a bad length');
  let name: string;
  try {
    name = new TextDecoder('utf-8', { fatal: true }).decode(bytes.slice(nameAt, end));
  } catch {
    throw new VaultError('Invite creator name is not valid text');
  }
  return {
    secret: bytes.slice(at, at + FORMATION_SECRET_BYTES),
    creatorName: checkMemberName(name),
  };
}

/** Version 2's policy bytes from `at` up to exactly `end`; undefined if they do not fit exactly. */
function readPolicy(bytes: Uint8Array, at: number, end: number): InvitePolicy | undefined {
  if (at + 2 > end) return undefined;
  const threshold = bytes[at] as number;
  const flags = bytes[at + 1] as number;
  if (flags === 0) return at + 2 === end ? { threshold } : undefined;
  if (flags !== 1 || at + 5 > end) return undefined;
  const afterBlocks = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
  const count = bytes[at + 4] as number;
  const keysEnd = at + 5 + count * 33;
  if (keysEnd + 1 !== end) return undefined;
  const keys = Array.from({ length: count }, (_, i) =>
    bytes.slice(at + 5 + i * 33, at + 5 + (i + 1) * 33),
  );
  return { threshold, recovery: { afterBlocks, keys, threshold: bytes[keysEnd] as number } };
}

/** A member's answer: their vault key, signed to prove they hold it, bound to this invite. */
export function createJoin(invite: VaultInvite, memberSecret: Uint8Array): string {
  const memberKey = getPublicKey(memberSecret);
  const body = concatBytes(Uint8Array.of(VERSION), invite.inviteId, memberKey);
  return encode(
    JOIN_PREFIX,
    concatBytes(body, schnorrSign(taggedHash('Petal/vault-join', body), memberSecret)),
  );
}

export function readJoin(code: string, invite: VaultInvite): VaultJoin {
  const bytes = decode(JOIN_PREFIX, code, 'vault join');
  if (bytes.length !== 1 + 16 + 33 + 64 || bytes[0] !== VERSION)
    throw new VaultError('Unsupported or truncated join code');
  const body = bytes.slice(0, 50);
  const join = { inviteId: bytes.slice(1, 17), memberKey: bytes.slice(17, 50) };
  if (bytesToHex(join.inviteId) !== bytesToHex(invite.inviteId))
    throw new VaultError('This join code answers a different invite');
  if (!schnorrVerify(bytes.slice(50), taggedHash('Petal/vault-join', body), join.memberKey)) {
    throw new VaultError('Join code signature is invalid');
  }
  return join;
}

/**
 * The creator's last step: every expected member has joined → the vault with the invite's policy
 * (optionally requiring burn-based identities of its members).
 * @throws VaultError for a bad join code, a missing member, or a joiner whose key is a recovery
 *   key (createVault's refusal).
 */
export function assembleVault(
  invite: VaultInvite,
  joinCodes: string[],
  options: Pick<VaultOptions, 'identity'> = {},
): Vault {
  const keys = new Map<string, Uint8Array>([[bytesToHex(invite.creatorKey), invite.creatorKey]]);
  for (const code of joinCodes) {
    const { memberKey } = readJoin(code, invite);
    keys.set(bytesToHex(memberKey), memberKey);
  }
  if (keys.size !== invite.memberCount) {
    throw new VaultError(
      `The invite expects ${invite.memberCount} members; ${keys.size} distinct keys have joined`,
    );
  }
  return createVault([...keys.values()], invite.network, invite.label, {
    ...options,
    threshold: invite.threshold,
    ...(invite.recovery ? { recovery: invite.recovery } : {}),
  });
}
