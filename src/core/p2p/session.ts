/**
 * The in-memory state of one signing session and the public view of it the wallet shows. The
 * signing service (signing-service.ts and its shell in service/) owns every Session; only it and
 * the protocol steps it runs (signing/*.ts) change one. This module holds the shapes and the
 * small pure rules about them.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { KeyAggContext } from '../crypto/musig2.ts';
import type { SigningKey } from '../crypto/signing-key.ts';
import type { Vault } from '../wallet/vault.ts';
import type { SignedEnvelope } from './envelope.ts';
import type { NoncesPayload, PartialSigsPayload, Payload, ProposalPayload } from './messages.ts';
import type { FinalTx, OwnNonces } from './musig-round.ts';
import type { CheckedSpend, SpendSummary } from './spend-check.ts';
import type { TimerSet } from './clock.ts';
import type { SigningPath } from './signing-path.ts';

export type SessionPhase =
  | 'awaiting-approvals'
  | 'nonces'
  | 'signing'
  | 'broadcasting'
  | 'completed'
  | 'aborted'
  | 'failed'
  | 'expired';

export const FINISHED: ReadonlySet<SessionPhase> = new Set([
  'completed',
  'aborted',
  'failed',
  'expired',
]);

/** Why a session ended without a transaction, and who caused it when that is proven. */
/**
 * Why a session ended. Members are named only by their 0-based index in the structured fields:
 * `detail` never numbers them, so every interface numbers members its own way (the popup counts
 * from 1) and a message cannot blame "Member 1" for what member index 1 did.
 */
export interface SessionEnd {
  reason: string;
  detail: string;
  /** The member whose misbehaviour ended it (blame proven with signed evidence). */
  culprit?: number;
  /** The member who ended it by aborting: for reason 'declined', the member who declined. */
  by?: number;
}

export interface SessionView {
  id: string;
  vaultId: string;
  vaultLabel: string;
  proposer: number;
  me: number;
  members: number;
  memo: string;
  createdAt: number;
  expiresAt: number;
  summary: SpendSummary;
  /** Member indices whose approval is in. */
  approvals: number[];
  approvedByMe: boolean;
  attempt: number;
  phase: SessionPhase;
  /** Member indices in broadcast order, once the attempt's election is done. */
  coordinators?: number[];
  /** Threshold vaults: the members signing through their script leaf (absent: the key path). */
  pathSigners?: number[];
  /** Threshold vaults: from when (ms) the proposer may choose a leaf without everyone. */
  leafAfter?: number;
  /** Members whose public nonces / partial signatures for the current attempt are in. */
  noncesFrom?: number[];
  partialsFrom?: number[];
  txid?: string;
  end?: SessionEnd;
  /** When this member held the verified final transaction (every partial signature in), ms. */
  finalizedAt?: number;
  /** When this member saw the session end (completed, failed, aborted or expired), ms. */
  endedAt?: number;
}

/** A verified, decoded envelope and its wire bytes. */
export interface Inbound {
  env: SignedEnvelope;
  payload: Payload;
  bytes: Uint8Array;
  /** The authenticated transport peer it came from; absent when read from storage or a record. */
  from?: string;
  /** It came from its signer's bound peer (§5.4), so it needs no binding while it waits. */
  bound?: true;
}

export interface Received<T> {
  body: T;
  /** The envelope's wire bytes (evidence for blame). */
  bytes: Uint8Array;
  /** The payload bytes (what nonce digests hash). */
  payloadBytes: Uint8Array;
}

export interface AttemptState {
  attempt: number;
  /** Our nonces; only the public half survives a restart (then this is undefined). */
  own?: OwnNonces;
  nonces: (Received<NoncesPayload> | undefined)[];
  partials: (Received<PartialSigsPayload> | undefined)[];
  /** Once every signer's nonces are in: their digests in signer order, and the set's hash. */
  digests?: Uint8Array[];
  setHash?: Uint8Array;
  aggNonces?: Uint8Array[];
  signTranscript?: Uint8Array;
  /** Broadcast order, elected once every partial (and with it every reveal) is in. */
  order?: number[];
  /** Set once our partial signatures were computed (the nonce is spent). */
  signed: boolean;
  final?: FinalTx;
  /**
   * A signer whose partial committed to another nonce set: unless proof comes, the session fails
   * (or, where a path may explain it, waits: disclosure.ts).
   */
  mismatch?: number;
  /** Signers we forwarded the path to after their partial disagreed (once each per attempt). */
  pathForwarded?: Set<number>;
  /** Set once we disclosed our nonce set (at most once per attempt). */
  disclosed?: boolean;
}

export interface VaultEntry {
  vault: Vault;
  vaultId: Uint8Array;
  ctx: KeyAggContext;
  me: number;
  /** This member's vault key, its key pair derived once when the vault is served. */
  key: SigningKey;
}

export interface Session {
  id: Uint8Array;
  idHex: string;
  entry: VaultEntry;
  proposer: number;
  proposal: ProposalPayload;
  /** The proposal envelope's wire bytes (what late-comers need first). */
  proposalBytes: Uint8Array;
  checked: CheckedSpend;
  /** The spend's sighashes per replay-protection side and path, once an attempt needs them. */
  variants: Map<string, CheckedSpend>;
  /** Threshold vaults: the proposer's choice of signers for a script leaf, once made. */
  path?: SigningPath;
  /**
   * The proven blame that ended the session (ours or one we accepted): after the end it is the
   * answer to a member still working on the session, whose copy a lossy network may have eaten.
   */
  lastWord?: Uint8Array;
  /**
   * Attempts whose partial signature of ours may have left. Any one could still complete with
   * the others' partials of that attempt, so the approval stands from the first on (revoke).
   */
  signedAttempts: Set<number>;
  /**
   * The path message as its proposer signed it, sent or received: for our mailbox record and
   * for members that missed it.
   */
  pathBytes?: Uint8Array;
  /** MuSig2 contexts of path leaves' keys, by signer list. */
  leafContexts: Map<string, KeyAggContext>;
  /** Bound transport peer per member, from its approval. */
  peers: (string | undefined)[];
  /** Approval envelope bytes per member (undefined: not approved or revoked). */
  approvals: (Uint8Array | undefined)[];
  /**
   * Per member, the envelope sequence of its newest approval or revoke applied (-1: none yet):
   * an older one arriving later, by another route, is ignored (signing/approvals.ts).
   */
  consentSequence: number[];
  /**
   * Per member, the nonces its standing approval carried (docs/PROTOCOL.md §6.3), for the attempt
   * they name: they join that attempt's round as its nonces message would. A revoke clears them.
   */
  offered: (Received<NoncesPayload> | undefined)[];
  /** The secret half of our own `offered` nonces, until their attempt's round takes them. */
  ownOffered?: OwnNonces;
  attempt: number;
  round?: AttemptState;
  phase: SessionPhase;
  nextSequence: number;
  /** Messages that arrived before the state they need; retried after every change. */
  deferred: Inbound[];
  timers: TimerSet;
  /** Ends every delivery still being retried for this session. */
  deliveries: AbortController;
  /** Members who already got our approval directly (catch-up for late-comers). */
  caughtUp: Set<number>;
  end?: SessionEnd;
  finalizedAt?: number;
  endedAt?: number;
  /** True while the stored transcript is being replayed after a restart: no side effects. */
  replaying: boolean;
}

export function newAttempt(attempt: number, members: number): AttemptState {
  return {
    attempt,
    nonces: Array.from({ length: members }),
    partials: Array.from({ length: members }),
    signed: false,
  };
}

export function viewOf(session: Session): SessionView {
  const { entry, proposal, checked, round } = session;
  return {
    id: session.idHex,
    vaultId: entry.vault.id,
    vaultLabel: entry.vault.label,
    proposer: session.proposer,
    me: entry.me,
    members: entry.vault.members.length,
    memo: proposal.memo,
    createdAt: proposal.createdAt,
    expiresAt: proposal.expiresAt,
    summary: checked.summary,
    approvals: session.approvals.flatMap((a, i) => (a ? [i] : [])),
    approvedByMe: !!session.approvals[entry.me],
    attempt: session.attempt,
    phase: session.phase,
    ...(round?.order ? { coordinators: [...round.order] } : {}),
    ...(session.path ? { pathSigners: [...session.path.signers] } : {}),
    ...(proposal.leafAfter !== undefined ? { leafAfter: proposal.leafAfter } : {}),
    ...(round
      ? {
          noncesFrom: round.nonces.flatMap((n, i) => (n ? [i] : [])),
          partialsFrom: round.partials.flatMap((p, i) => (p ? [i] : [])),
        }
      : {}),
    ...(round?.final || session.phase === 'completed' ? { txid: checked.summary.txid } : {}),
    ...(session.end ? { end: { ...session.end } } : {}),
    ...(session.finalizedAt !== undefined ? { finalizedAt: session.finalizedAt } : {}),
    ...(session.endedAt !== undefined ? { endedAt: session.endedAt } : {}),
  };
}

export const hex = bytesToHex;
