/**
 * The receive pipeline (docs/PROTOCOL.md §5.3): everything that arrives passes, in order, the ban
 * list, the per-peer rate limit, vault frame decryption, envelope decoding, the membership and
 * signature check, the replay guard, and then its session's rules in ../signing/ — or waits in the
 * early buffer until its proposal is known (§6.9), or among the session's deferred messages until
 * the state it needs exists.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Vault } from '../../wallet/vault.ts';
import { type BurnCheck, verifyBurnProof } from '../burn-identity.ts';
import {
  MessageDecodeError,
  MessageType,
  OldProtocolError,
  type SignedEnvelope,
  openEnvelope,
} from '../envelope.ts';
import { frameTag, openFrame, sealFrame } from '../frames.ts';
import { type ApprovalPayload, type BurnProof, decodePayload } from '../messages.ts';
import { FINISHED, type Inbound, type Session, viewOf } from '../session.ts';
import { sessionIdOf } from '../transcript.ts';
import { acceptApproval, approvalAdmissible } from '../signing/approvals.ts';
import type { Outcome } from '../signing/effects.ts';
import { approvalOf, onMessage } from '../signing/machine.ts';
import { admitProposal } from '../signing/proposal.ts';
import { type ServiceContext, type Tombstone, type VaultState, opt, same } from './context.ts';
import { run } from './executor.ts';
import { touchMailbox } from './mailbox.ts';
import { refuseOldProtocol } from './old-protocol.ts';
import { createSession, persistNew } from './sessions.ts';
import { type Received, storeReceived } from './writes.ts';

/** A frame from the transport (direct or gossip): admitted, opened, then queued for its step. */
export function receiveFrame(ctx: ServiceContext, from: string, frame: Uint8Array): void {
  if (!ctx.running || ctx.reputation.isBanned(from)) return;
  if (!ctx.rate.take(from)) {
    ctx.penalize(from, 'spam');
    return;
  }
  const tag = frameTag(frame);
  const state = tag ? ctx.vaultsByTag.get(bytesToHex(tag)) : undefined;
  if (!state) {
    ctx.penalize(from, 'bad-frame');
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = openFrame(state.keys, frame);
  } catch {
    ctx.penalize(from, 'bad-frame');
    return;
  }
  void ctx.serial(() => receiveEnvelope(ctx, state, bytes, from)).catch(() => undefined);
}

/**
 * The checks a member runs before its gossip node forwards a vault frame: the author is not
 * banned, the frame opens under the vault's keys, and the envelope inside is signed by a member.
 * Session-level rules (replay, phase) are left to delivery: they depend on local state.
 */
export function validFrame(
  ctx: ServiceContext,
  state: VaultState,
  from: string,
  frame: Uint8Array,
): boolean {
  if (ctx.reputation.isBanned(from)) return false;
  let env: SignedEnvelope;
  try {
    env = openEnvelope(openFrame(state.keys, frame));
  } catch (err) {
    // Not forwarded, but not held against an honest member who has not updated yet.
    if (err instanceof OldProtocolError) refuseOldProtocol(ctx, state, from, err);
    else ctx.penalize(from, 'bad-frame');
    return false;
  }
  const key = state.vault.members[env.signerIndex];
  if (!same(env.vaultId, state.vaultId) || !key) {
    ctx.penalize(from, 'non-member');
    return false;
  }
  // The author pays for a forgery here: GossipSub will not hand it to receiveFrame.
  if (!ctx.verified.verify(env, key)) {
    ctx.penalize(from, 'bad-signature');
    return false;
  }
  return true;
}

/** Verifies one envelope and hands it to its session (or buffers it). Never throws on input. */
export async function receiveEnvelope(
  ctx: ServiceContext,
  state: VaultState,
  bytes: Uint8Array,
  from: string | undefined,
) {
  let inbound: Inbound;
  try {
    const env = openEnvelope(bytes);
    if (!same(env.vaultId, state.vaultId)) return ctx.penalize(from, 'bad-frame');
    const key = state.vault.members[env.signerIndex];
    if (!key) return ctx.penalize(from, 'non-member');
    if (!ctx.verified.verify(env, key)) return ctx.penalize(from, 'bad-signature');
    inbound = { env, payload: decodePayload(env.type, env.payload), bytes, ...opt(from) };
  } catch (err) {
    if (err instanceof OldProtocolError) return refuseOldProtocol(ctx, state, from, err);
    if (err instanceof MessageDecodeError) return ctx.penalize(from, 'bad-frame');
    throw err;
  }
  const idHex = bytesToHex(inbound.env.sessionId);
  if (inbound.env.signerIndex === state.me && from !== undefined) return; // our own, echoed
  const tombstone = ctx.tombstones.get(idHex);
  if (tombstone) return answerAfterEnd(ctx, state, tombstone, inbound);
  if (inbound.payload.type === MessageType.proposal) return receiveProposal(ctx, state, inbound);
  const session = ctx.sessions.get(idHex);
  if (!session) return buffer(ctx, idHex, inbound);
  if (!ctx.replay.accept(idHex, inbound.env.signerIndex, inbound.env.sequence)) return;
  await dispatch(ctx, session, inbound);
}

const ENDING_TYPES: ReadonlySet<number> = new Set([
  MessageType.blame,
  MessageType.abort,
  MessageType.broadcast,
]);

/**
 * A member still working on a session that ended here in a proven blame gets the blame, once,
 * directly: its own copy may have been lost, and without it that member could only wait out a
 * timeout and end without knowing who cheated.
 */
function answerAfterEnd(
  ctx: ServiceContext,
  state: VaultState,
  tombstone: Tombstone,
  inbound: Inbound,
): void {
  const { lastWord, answered } = tombstone;
  const peer = inbound.from;
  const member = inbound.env.signerIndex;
  if (!lastWord || !answered || peer === undefined || answered.has(member)) return;
  // A member that blames, aborts or broadcasts has ended the session itself: nothing to tell it.
  if (ENDING_TYPES.has(inbound.env.type)) return;
  answered.add(member);
  // One retry window per tombstone at a time, so answers never pile up timers.
  if (!tombstone.answering || tombstone.answering.signal.aborted) {
    const window = new AbortController();
    ctx.timers.set(() => window.abort(), ctx.timeouts.failoverMs);
    tombstone.answering = window;
  }
  void ctx.outbox.deliver(() => peer, sealFrame(state.keys, lastWord), tombstone.answering.signal);
}

/**
 * Keeps a verified message of an unknown session until its proposal arrives: only its bytes,
 * once per signer and sequence, within the sender's and the total byte budget. A sender that
 * overflows its budget or repeats an envelope past a few copies is penalised (a flood ends in
 * a ban), never the members whose messages it displaced.
 */
function buffer(ctx: ServiceContext, idHex: string, inbound: Inbound): void {
  const verdict = ctx.early.add(idHex, {
    bytes: inbound.bytes,
    signer: inbound.env.signerIndex,
    sequence: inbound.env.sequence,
    ...opt(inbound.from),
  });
  if (verdict === 'flood') ctx.penalize(inbound.from, 'over-budget');
}

async function receiveProposal(
  ctx: ServiceContext,
  state: VaultState,
  inbound: Inbound,
): Promise<void> {
  const { env, payload } = inbound;
  if (payload.type !== MessageType.proposal) return;
  const proposal = payload.body;
  const id = sessionIdOf(state.vaultId, env.signerIndex, env.payload);
  const idHex = bytesToHex(id);
  if (ctx.sessions.has(idHex)) return;
  const verdict = admitProposal(
    state.vault,
    env,
    id,
    proposal,
    { now: ctx.clock.now(), counts: ctx.openCounts(state, env.signerIndex) },
    { sessions: ctx.sessionLimits, spend: ctx.limits },
  );
  if (verdict === 'stale') return;
  if ('offence' in verdict) {
    const { reason, message, offence } = verdict;
    ctx.penalize(inbound.from, offence);
    ctx.emit('refused', { vaultId: state.vault.id, reason, message, ...opt(inbound.from) });
    return;
  }
  const checked = verdict;
  ctx.replay.accept(idHex, env.signerIndex, env.sequence);
  const session = createSession(ctx, state, id, env.signerIndex, proposal, checked);
  session.proposalBytes = inbound.bytes;
  await persistNew(ctx, session, [inbound.bytes]);
  ctx.emit('proposal', viewOf(session));
  touchMailbox(ctx, state);
  for (const item of ctx.early.take(idHex)) {
    if (!ctx.replay.accept(idHex, item.signer, item.sequence)) continue;
    let buffered: Inbound;
    try {
      const env = openEnvelope(item.bytes);
      buffered = { env, payload: decodePayload(env.type, env.payload), bytes: item.bytes };
    } catch {
      continue; // decoded once already; cannot fail
    }
    await dispatch(ctx, session, { ...buffered, ...opt(item.from) });
  }
}

/** Runs one message against its session, then anything it had to set aside. */
export async function dispatch(
  ctx: ServiceContext,
  session: Session,
  inbound: Inbound,
): Promise<void> {
  if (FINISHED.has(session.phase)) return;
  const outcome = await handle(ctx, session, inbound);
  if (outcome === 'defer') {
    session.deferred.push(inbound);
    const cap = 8 * session.entry.vault.members.length + 16;
    if (session.deferred.length > cap) session.deferred.shift();
    return;
  }
  storeReceived(ctx, session, inbound);
  if (inbound.from) ctx.reputation.reward(inbound.from);
  await drainDeferred(ctx, session);
}

/** Retries the messages that waited for state, until none makes progress. */
export async function drainDeferred(ctx: ServiceContext, session: Session): Promise<void> {
  for (let progress = true; progress && session.deferred.length > 0;) {
    progress = false;
    const waiting = session.deferred;
    session.deferred = [];
    for (const item of waiting) {
      if (FINISHED.has(session.phase)) return;
      if ((await handle(ctx, session, item)) === 'defer') session.deferred.push(item);
      else {
        progress = true;
        storeReceived(ctx, session, item);
      }
    }
  }
}

async function handle(ctx: ServiceContext, session: Session, inbound: Inbound): Promise<Outcome> {
  const approval = approvalOf(inbound);
  if (approval) return onApproval(ctx, session, inbound, approval);
  return run(ctx, (step) => onMessage(session, inbound, step), handled(session, inbound));
}

/** The handled envelope goes in the step's commit, unless the step set it aside. */
function handled(session: Session, inbound: Inbound) {
  return (outcome: Outcome): Received | undefined =>
    outcome === 'defer' ? undefined : { session, inbound };
}

/** An approval: the rule admits it, the chain checks a burn identity, the rule counts it. */
async function onApproval(
  ctx: ServiceContext,
  session: Session,
  inbound: Inbound,
  body: ApprovalPayload,
): Promise<Outcome> {
  if (!(await run(ctx, (step) => approvalAdmissible(session, inbound, body, step)))) return 'done';
  const signer = inbound.env.signerIndex;
  // The chain answers whether the member's burn proof satisfies the vault.
  if (session.entry.vault.identity && !session.replaying) {
    const check = await checkBurn(ctx, body.burn, session, signer);
    if (!check.ok) {
      ctx.emit('refused', {
        vaultId: session.entry.vault.id,
        reason: `burn-${check.reason}`,
        message: `Member ${signer}'s burn identity does not satisfy the vault (${check.reason})`,
        ...opt(inbound.from),
      });
      return 'done';
    }
  }
  return run(
    ctx,
    (step) => acceptApproval(session, inbound, body, step),
    handled(session, inbound),
  );
}

async function checkBurn(
  ctx: ServiceContext,
  proof: BurnProof | undefined,
  session: Session,
  signer: number,
): Promise<BurnCheck> {
  const getOutput = ctx.chain.getOutput?.bind(ctx.chain);
  if (!getOutput) return { ok: false, reason: 'not-found' };
  return verifyBurnProof(
    { getOutput },
    proof,
    session.entry.vault.members[signer] as Uint8Array,
    session.entry.vault.identity as NonNullable<Vault['identity']>,
  );
}
