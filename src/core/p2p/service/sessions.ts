/**
 * A session's life in memory and storage: created from a proposal (ours or a member's), its first
 * record stored, its envelopes sent, its peers kept connected, and at its end stored as finished,
 * released and remembered by a tombstone (docs/PROTOCOL.md §6.9). The rules that decide when a
 * session ends are in ../signing/; this is what the end does.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { TimerSet } from '../clock.ts';
import { holdSessionKeys, releaseSessionKeys } from '../envelope.ts';
import { sealFrame } from '../frames.ts';
import type { ProposalPayload } from '../messages.ts';
import type { Session, SessionPhase, SessionView } from '../session.ts';
import type { SessionStatus } from '../session-store.ts';
import type { CheckedSpend } from '../spend-check.ts';
import type { ServiceContext, VaultState } from './context.ts';
import { touchMailbox } from './mailbox.ts';
import { quietly } from './writes.ts';

export function createSession(
  ctx: ServiceContext,
  state: VaultState,
  id: Uint8Array,
  proposer: number,
  proposal: ProposalPayload,
  checked: CheckedSpend,
): Session {
  const n = state.vault.members.length;
  const session: Session = {
    id,
    idHex: bytesToHex(id),
    entry: state,
    proposer,
    proposal,
    proposalBytes: new Uint8Array(0),
    checked,
    peers: Array.from({ length: n }),
    approvals: Array.from({ length: n }),
    consentSequence: Array.from({ length: n }, () => -1),
    offered: Array.from({ length: n }),
    attempt: 1,
    phase: 'awaiting-approvals',
    nextSequence: 0,
    deferred: [],
    timers: new TimerSet(ctx.clock),
    deliveries: new AbortController(),
    caughtUp: new Set(),
    variants: new Map(),
    leafContexts: new Map(),
    signedAttempts: new Set(),
    replaying: false,
  };
  ctx.sessions.set(session.idHex, session);
  // Every member key gets a multiplication table for the session's life: each envelope and
  // partial signature verifies at the tabled rate from the first (released in drop()).
  holdSessionKeys(id, state.vault.members, tableHolder(state));
  return session;
}

/** Opens the session's stored record with its proposal (and nothing else yet). */
export async function persistNew(
  ctx: ServiceContext,
  session: Session,
  envelopes: Uint8Array[],
): Promise<void> {
  await ctx.store.commit({
    sessionId: session.idHex,
    open: { vaultId: session.entry.vault.id, expiresAt: session.proposal.expiresAt },
    envelopes,
    nextSequence: session.nextSequence,
  });
}

/** Gossips an envelope on the vault's topic (members without a bound peer yet hear it there). */
export async function publish(
  ctx: ServiceContext,
  state: VaultState,
  envelope: Uint8Array,
): Promise<void> {
  await ctx.transport.publish(state.keys.topic, sealFrame(state.keys, envelope)).catch(() => 0);
}

/** Delivers directly to one member's bound peer, with acknowledgement and retries. */
export function sendTo(
  ctx: ServiceContext,
  session: Session,
  member: number,
  envelope: Uint8Array,
): void {
  if (!session.peers[member] || member === session.entry.me) return;
  const frame = sealFrame((session.entry as VaultState).keys, envelope);
  void ctx.outbox.deliver(() => session.peers[member], frame, session.deliveries.signal);
}

export function sendToMembers(ctx: ServiceContext, session: Session, envelope: Uint8Array): void {
  if (session.replaying) return;
  session.entry.vault.members.forEach((_, index) => sendTo(ctx, session, index, envelope));
}

/** Members known to be online in a live session stay connected while it lasts. */
export function protectPeers(ctx: ServiceContext, session: Session): void {
  if (session.replaying) return;
  const vaultId = session.entry.vault.id;
  const last = ctx.lastPeers.get(vaultId) ?? session.entry.vault.members.map(() => undefined);
  session.peers.forEach((peer, i) => {
    if (peer) last[i] = peer;
  });
  ctx.lastPeers.set(vaultId, last);
  const peers = session.peers.filter((p, i): p is string => !!p && i !== session.entry.me);
  if (peers.length > 0) ctx.transport.protectPeers?.(session.idHex, peers);
}

/** Releases everything a session holds in memory. */
export function drop(ctx: ServiceContext, session: Session, abortDeliveries = true): void {
  ctx.transport.releasePeers?.(session.idHex);
  session.timers.clearAll();
  if (abortDeliveries) session.deliveries.abort();
  session.deferred = [];
  session.round = undefined;
  ctx.replay.release(session.idHex);
  ctx.sessions.delete(session.idHex);
  releaseSessionKeys(session.id, tableHolder(session.entry as VaultState));
}

/**
 * Who holds a session's tables: this member of the vault. Members sharing one process (tests, the
 * simulator) each hold their own; a restarted member's new service takes over its old holding.
 */
function tableHolder(state: VaultState): string {
  return bytesToHex(state.key.publicKey);
}

/** The I/O of a session's end (its state already says it ended): store, release, tell. */
export async function finish(
  ctx: ServiceContext,
  session: Session,
  phase: SessionPhase,
  view: SessionView,
): Promise<void> {
  const status: SessionStatus =
    phase === 'completed'
      ? 'completed'
      : phase === 'expired'
        ? 'expired'
        : phase === 'failed'
          ? 'failed'
          : 'aborted';
  // Nobody waits for this write: a restart before it lands replays the session and ends it again.
  // The txid is kept whatever the outcome: after a restart the sweep still looks for it on chain.
  const txid = session.checked.summary.txid;
  quietly(ctx, ctx.store.commit({ sessionId: session.idHex, finish: { status, txid } }));
  // Deliveries already queued (the broadcast notice, a blame) get a short grace to land.
  const deliveries = session.deliveries;
  ctx.timers.set(() => deliveries.abort(), ctx.timeouts.failoverMs);
  drop(ctx, session, false);
  ctx.tombstones.set(session.idHex, {
    expiresAt: Math.max(session.proposal.expiresAt, ctx.clock.now() + ctx.timeouts.retainMs),
    view,
    ...(session.lastWord ? { lastWord: session.lastWord, answered: new Set<number>() } : {}),
  });
  touchMailbox(ctx, session.entry as VaultState);
  ctx.emit(phase === 'completed' ? 'completed' : 'ended', view);
  const waiters = ctx.waiters.get(session.idHex);
  ctx.waiters.delete(session.idHex);
  for (const waiter of waiters ?? []) waiter(view);
}
