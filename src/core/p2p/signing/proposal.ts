/**
 * Proposing and accepting a proposal (docs/PROTOCOL.md §6.2): what a proposal may ask for and
 * what a member checks before a session exists for it. Pure: the caller passes the time, the
 * open-session counts and the spend limits.
 */
import type { Vault } from '../../wallet/vault.ts';
import type { SignedEnvelope } from '../envelope.ts';
import { ProposalRefusedError } from '../errors.ts';
import type { ProposalPayload } from '../messages.ts';
import type { Offence } from '../reputation.ts';
import { type CheckedSpend, type SpendLimits, checkSpend } from '../spend-check.ts';
import { ZERO_TRANSCRIPT } from '../transcript.ts';
import { same } from './attempt.ts';

/** Longest a proposal may stay open. */
export const MAX_PROPOSAL_TTL_MS = 7 * 24 * 3600_000;
/** How long a threshold vault's proposal waits for every member before a leaf may be used. */
export const DEFAULT_LEAF_AFTER_MS = 3600_000;
/**
 * Open sessions a vault may have at once, and open sessions one member may have proposed in it.
 * Every open session costs each member a spend check (again at every restart), a stored
 * transcript, a mailbox entry and the user's attention; a wallet proposes one spend at a time.
 */
export interface SessionLimits {
  perVault: number;
  perProposer: number;
}

export const DEFAULT_SESSION_LIMITS: Readonly<SessionLimits> = { perVault: 32, perProposer: 8 };

export interface Refusal {
  reason: string;
  message: string;
  offence: Offence;
}

/** Why one more session by a proposer with `byProposer` open, in a vault with `inVault`, would
 * exceed the limits, if it would. */
export function overSessionLimits(
  counts: { inVault: number; byProposer: number },
  proposer: number,
  { perVault, perProposer }: SessionLimits,
): Refusal | undefined {
  const { inVault, byProposer } = counts;
  if (byProposer >= perProposer)
    return {
      reason: 'too-many-proposals',
      message: `Member ${proposer} already has ${byProposer} open proposals (at most ${perProposer})`,
      offence: 'over-budget',
    };
  if (inVault >= perVault)
    return {
      reason: 'too-many-sessions',
      message: `The vault already has ${inVault} open sessions (at most ${perVault})`,
      offence: 'over-budget',
    };
  return undefined;
}

/** The proposal payload a member sends (the proposer approves it by proposing). */
export function newProposal(
  vault: Vault,
  spend: Uint8Array,
  at: { now: number; salt: Uint8Array; replayProtection: boolean },
  options: { memo?: string; ttlMs?: number; leafAfterMs?: number },
): ProposalPayload {
  const { now } = at;
  const ttl = Math.min(options.ttlMs ?? 24 * 3600_000, MAX_PROPOSAL_TTL_MS);
  const leaves = vault.threshold < vault.members.length;
  return {
    createdAt: now,
    expiresAt: now + ttl,
    replayProtection: at.replayProtection,
    salt: at.salt,
    memo: options.memo ?? '',
    spend,
    ...(leaves
      ? { leafAfter: now + Math.min(options.leafAfterMs ?? DEFAULT_LEAF_AFTER_MS, ttl - 1) }
      : {}),
  };
}

/**
 * A received proposal's verdict: the checked spend, a refusal (the sender pays, the wallet is
 * told), or 'stale' (expired, e.g. an old mailbox record: dropped silently).
 */
export function admitProposal(
  vault: Vault,
  env: SignedEnvelope,
  sessionId: Uint8Array,
  proposal: ProposalPayload,
  at: { now: number; counts: { inVault: number; byProposer: number } },
  limits: { sessions: SessionLimits; spend: SpendLimits },
): CheckedSpend | Refusal | 'stale' {
  const refuse = (reason: string, message: string): Refusal => ({
    reason,
    message,
    offence: 'invalid-proposal',
  });
  if (
    !same(sessionId, env.sessionId) ||
    env.sequence !== 0 ||
    !same(env.transcriptHash, ZERO_TRANSCRIPT)
  )
    return refuse('bad-session-id', 'The proposal does not match its session id');
  if (proposal.expiresAt <= at.now) return 'stale';
  if (proposal.expiresAt - proposal.createdAt > MAX_PROPOSAL_TTL_MS)
    return refuse('ttl', 'The proposal stays open longer than 7 days');
  if (proposal.leafAfter !== undefined && vault.threshold >= vault.members.length)
    return refuse('no-leaves', 'The proposal allows script leaves, but the vault has none');
  // Counted before the spend is checked: a refused proposal costs this member almost nothing.
  const over = overSessionLimits(at.counts, env.signerIndex, limits.sessions);
  if (over) return over;
  try {
    return checkSpend(vault, proposal.spend, proposal.replayProtection, limits.spend, {
      leaves: proposal.leafAfter !== undefined,
    });
  } catch (err) {
    if (err instanceof ProposalRefusedError) return refuse(err.reason, err.message);
    throw err;
  }
}
