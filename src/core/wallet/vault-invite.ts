/**
 * Forming a vault by invitation, without a server: the creator shares a signed invite code; each
 * member answers with a join code carrying their vault key and a signature proving they hold it
 * (so nobody can be enrolled with a key they do not control); the creator assembles the vault
 * descriptor, and every member's wallet re-derives it and confirms the same address.
 */
import { bytesToHex, concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { bech32m } from '@scure/base';
import { taggedHash } from '../crypto/hash.ts';
import { getPublicKey, schnorrSign, schnorrVerify } from '../crypto/schnorr.ts';
import { type NetworkParams, networkByChar } from '../chain/network.ts';
import {
  MAX_LABEL_BYTES,
  MAX_MEMBERS,
  MIN_MEMBERS,
  type Vault,
  VaultError,
  type VaultOptions,
  createVault,
} from './vault.ts';

const INVITE_PREFIX = 'petalinvite';
const JOIN_PREFIX = 'petaljoin';
const VERSION = 1;
const LIMIT = 1000;

export interface VaultInvite {
  network: NetworkParams;
  inviteId: Uint8Array;
  /** Total members including the creator. */
  memberCount: number;
  /** Seconds since epoch after which the invite is refused. */
  expiresAt: number;
  creatorKey: Uint8Array;
  label: string;
}

export interface VaultJoin {
  inviteId: Uint8Array;
  memberKey: Uint8Array;
}

function invitePayload(i: VaultInvite): Uint8Array {
  const label = utf8ToBytes(i.label);
  const expires = new Uint8Array(4);
  new DataView(expires.buffer).setUint32(0, i.expiresAt);
  return concatBytes(
    Uint8Array.of(VERSION, i.network.addressChar.charCodeAt(0)),
    i.inviteId,
    Uint8Array.of(i.memberCount),
    expires,
    i.creatorKey,
    Uint8Array.of(label.length),
    label,
  );
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

/** Creates a signed invite; `creatorSecret` is the creator's vault key (account 1). */
export function createInvite(
  creatorSecret: Uint8Array,
  options: {
    network: NetworkParams;
    memberCount: number;
    label?: string;
    ttlSeconds?: number;
    now?: number;
  },
): { invite: VaultInvite; code: string } {
  if (options.memberCount < MIN_MEMBERS || options.memberCount > MAX_MEMBERS) {
    throw new VaultError(`A vault has ${MIN_MEMBERS} to ${MAX_MEMBERS} members`);
  }
  const label = options.label ?? '';
  if (utf8ToBytes(label).length > MAX_LABEL_BYTES) throw new VaultError('Vault label is too long');
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const invite: VaultInvite = {
    network: options.network,
    inviteId: randomBytes(16),
    memberCount: options.memberCount,
    expiresAt: now + (options.ttlSeconds ?? 7 * 24 * 3600),
    creatorKey: getPublicKey(creatorSecret),
    label,
  };
  const payload = invitePayload(invite);
  const sig = schnorrSign(taggedHash('Petal/vault-invite', payload), creatorSecret);
  return { invite, code: encode(INVITE_PREFIX, concatBytes(payload, sig)) };
}

/** Decodes and checks an invite: signature by the creator, network, not expired. */
export function readInvite(
  code: string,
  options: { network?: NetworkParams; now?: number } = {},
): VaultInvite {
  const bytes = decode(INVITE_PREFIX, code, 'vault invite');
  if (bytes.length < 1 + 1 + 16 + 1 + 4 + 33 + 1 + 64 || bytes[0] !== VERSION)
    throw new VaultError('Unsupported or truncated invite');
  const network = networkByChar(String.fromCharCode(bytes[1] as number));
  if (!network) throw new VaultError('Invite names an unknown network');
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const labelLength = bytes[56] as number;
  if (bytes.length !== 57 + labelLength + 64) throw new VaultError('Invite has a bad length');
  const invite: VaultInvite = {
    network,
    inviteId: bytes.slice(2, 18),
    memberCount: bytes[18] as number,
    expiresAt: view.getUint32(19),
    creatorKey: bytes.slice(23, 56),
    label: new TextDecoder('utf-8', { fatal: true }).decode(bytes.slice(57, 57 + labelLength)),
  };
  const payload = bytes.slice(0, 57 + labelLength);
  if (
    !schnorrVerify(bytes.slice(-64), taggedHash('Petal/vault-invite', payload), invite.creatorKey)
  ) {
    throw new VaultError('Invite signature is invalid');
  }
  if (options.network && options.network.name !== network.name)
    throw new VaultError(`Invite is for ${network.name}`);
  if ((options.now ?? Math.floor(Date.now() / 1000)) > invite.expiresAt)
    throw new VaultError('This invite has expired');
  return invite;
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
 * The creator's last step: every expected member has joined → the vault (optionally requiring
 * burn-based identities of its members).
 */
export function assembleVault(
  invite: VaultInvite,
  joinCodes: string[],
  options: VaultOptions = {},
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
  return createVault([...keys.values()], invite.network, invite.label, options);
}
