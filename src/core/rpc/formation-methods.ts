import * as v from 'valibot';
import { InvitePolicyParams, type VaultInfo } from './signing-methods.ts';

const InviteId = v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/));
const Code = v.pipe(v.string(), v.minLength(10), v.maxLength(1000));
/** A member's own name; the wallet checks it again (1–32 bytes of UTF-8, no control characters). */
const MemberName = v.pipe(v.string(), v.minLength(1), v.maxLength(64));

/**
 * One-code vault formation (docs/PROTOCOL.md §2.6), between the popup and the background: the
 * creator starts it with one invite, joiners answer that invite over the network, and every
 * member confirms the fingerprint words before the vault is kept.
 */
export const formationMethodSpecs = {
  /**
   * Creates a one-code invite and starts collecting answers. Refused with
   * `FormationUnavailableError` when no relay is reachable (use `petal_vaultInviteCreate` and
   * join codes then).
   */
  petal_formationStart: {
    target: 'background',
    params: v.strictObject({ ...InvitePolicyParams.entries, name: MemberName }),
  },
  /** Answers a one-code invite over the network under the name the member chose. */
  petal_formationJoin: {
    target: 'background',
    params: v.strictObject({ invite: Code, name: MemberName }),
  },
  petal_formationStatus: { target: 'background', params: v.strictObject({ id: InviteId }) },
  /** Formations this wallet runs, those resumed after a restart included. */
  petal_formationList: { target: 'background', params: v.optional(v.strictObject({})) },
  /** The creator stops waiting: the vault of the members in so far is delivered. */
  petal_formationFinish: { target: 'background', params: v.strictObject({ id: InviteId }) },
  /** The member read the same fingerprint words as the others: the vault is kept. */
  petal_formationConfirm: { target: 'background', params: v.strictObject({ id: InviteId }) },
  petal_formationCancel: { target: 'background', params: v.strictObject({ id: InviteId }) },
} as const;

export interface FormationMemberInfo {
  /** 33-byte member key, hex. */
  key: string;
  name: string;
  you: boolean;
}

/** Where one formation stands, as the popup shows it. */
export interface FormationInfo {
  /** The invite id (hex): names the formation. */
  id: string;
  role: 'creator' | 'joiner';
  /**
   * collecting: answers come in; delivered: the vault is known and awaits this member's
   * confirmation; saved: confirmed and kept; expired: the invite ran out before it formed.
   */
  phase: 'collecting' | 'delivered' | 'saved' | 'expired';
  label: string;
  /** Members the invite asks for, the creator included. */
  memberCount: number;
  threshold: number;
  /** The invite's policy in words (members not yet known by name). */
  policyText: string;
  /** The creator's invite code, to share (creator only). */
  code?: string;
  /** Milliseconds since epoch. */
  expiresAt: number;
  /** Who has joined so far (the creator first); once delivered, every member in vault order. */
  members: FormationMemberInfo[];
  /** Once delivered. */
  vault?: {
    id: string;
    address: string;
    fingerprint: string;
    words: string[];
    policyText: string;
  };
}

export interface FormationMethodResults {
  petal_formationStart: FormationInfo;
  petal_formationJoin: FormationInfo;
  petal_formationStatus: FormationInfo;
  petal_formationList: FormationInfo[];
  petal_formationFinish: FormationInfo;
  petal_formationConfirm: VaultInfo;
  petal_formationCancel: { ok: true };
}
