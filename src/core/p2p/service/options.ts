/**
 * What a signing service is built from and what it tells its owner: the options, timeouts and
 * events of `SigningService` (docs/PROTOCOL.md §6.11 for the timeouts).
 */
import type { ReplaySwitch } from '../../chain/replay-side.ts';
import type { ChainAccess } from '../chain.ts';
import type { Clock } from '../clock.ts';
import type { EarlyLimits } from '../early-buffer.ts';
import type { EnvelopeAuth } from '../envelope.ts';
import type { Reputation } from '../reputation.ts';
import type { SessionView } from '../session.ts';
import type { SessionStore } from '../session-store.ts';
import type { SpendLimits } from '../spend-check.ts';
import type { Transport } from '../transport.ts';
import type { SessionLimits } from '../signing/proposal.ts';

export interface SigningTimeouts {
  /** Each coordinator after the first waits this much longer before it broadcasts itself. */
  failoverMs: number;
  /** How long a partial over another nonce set waits for an equivocation proof (then: failed). */
  mismatchMs: number;
  /** Period of the sweep that expires sessions and forgets finished ones. */
  sweepMs: number;
  /** How often members' mailbox records are read, for sessions missed while offline. */
  syncMs: number;
  /** How long messages for a not-yet-known session are kept. */
  earlyMs: number;
  /** How long a finished session's final view stays queryable (at least until its expiry). */
  retainMs: number;
}

export const DEFAULT_TIMEOUTS: SigningTimeouts = {
  failoverMs: 15_000,
  mismatchMs: 10_000,
  sweepMs: 60_000,
  syncMs: 60_000,
  earlyMs: 5 * 60_000,
  retainMs: 10 * 60_000,
};

export interface SigningServiceOptions {
  transport: Transport;
  store: SessionStore;
  chain: ChainAccess;
  clock?: Clock;
  timeouts?: Partial<SigningTimeouts>;
  limits?: SpendLimits;
  /** Per-peer message budget (default burst 400, 200/s: a 100-member session fits). */
  rate?: { burst: number; perSecond: number };
  /** Open sessions per vault and per proposer (default 32 and 8). */
  sessionLimits?: Partial<SessionLimits>;
  /** Budgets of the buffer for messages of unknown sessions (default `DEFAULT_EARLY_LIMITS`). */
  earlyLimits?: Partial<EarlyLimits>;
  reputation?: Reputation;
  /** Envelope signatures; only bookkeeping tests replace Lotus Schnorr. */
  auth?: EnvelopeAuth;
  /**
   * The replay-protection side a proposal starts on, and what the network's verdicts taught
   * (shared with the wallet's single-signature sends). Default: lotusd's activation times.
   */
  replaySwitch?: ReplaySwitch;
}

export interface ProposeOptions {
  memo?: string;
  /** How long members have to approve and sign (default 24 h, at most 7 days). */
  ttlMs?: number;
  /**
   * The replay-protection side to try first. By default the chain tip decides (its median time
   * past against the activation time the wallet believes in), as the nodes will; a node's
   * script-verification rejection moves the session to the other side.
   */
  replayProtection?: boolean;
  /**
   * Threshold vaults: after this long (ms) without every member's approval, the proposer names k
   * approvers to sign through their script leaf (default 1 h; 0 = at once). Ignored for n-of-n.
   */
  leafAfterMs?: number;
}

export interface SigningEvents {
  /** A new session this wallet may approve. */
  proposal: SessionView;
  update: SessionView;
  completed: SessionView;
  ended: SessionView;
  /** A member proven to have misbehaved. */
  blame: { sessionId: string; culprit: number; reason: string; peerId?: string };
  /** A proposal this wallet refused to consider (it never reaches the user). */
  refused: { vaultId: string; reason: string; message: string; from?: string };
  /** A member's peer speaks signing protocol 1 (reported once per peer; it is not penalised). */
  outdated: { vaultId: string; reason: string; message: string; from?: string };
  /** A failure off the protocol's path: a store write nobody waited for, a mailbox put. */
  warning: { message: string };
}
