/**
 * The effect executor: runs one protocol step of ../signing/ and carries out the effects it lists:
 * first the step's durable writes, as one commit (./writes.ts, docs/PROTOCOL.md §6.9), then the
 * rest in order — what a step stores is on disk before anything it sends leaves. Timers a step
 * sets come back here as inputs, and so does the chain's answer to a broadcast (§6.8).
 */
import { isScriptVerifyRejection } from '../../chain/replay-side.ts';
import { BroadcastError } from '../chain.ts';
import { replayProtectionOf } from '../replay-attempts.ts';
import { FINISHED, type Session, type SessionEnd, type SessionPhase } from '../session.ts';
import type { NonceMarker } from '../session-store.ts';
import { type BroadcastAnswer, broadcastAnswered } from '../signing/broadcast.ts';
import { type Effect, Step, type TimerInput } from '../signing/effects.ts';
import { onTimer as onTimerRule } from '../signing/machine.ts';
import type { ServiceContext, VaultState } from './context.ts';
import { touchMailbox } from './mailbox.ts';
import { finish, protectPeers, publish, sendTo, sendToMembers } from './sessions.ts';
import { type Received, commitStep } from './writes.ts';

/**
 * Runs one protocol step and executes the effects it lists. `received`, given the step's
 * result, names the received envelope the step handled, to store in the step's commit.
 */
export async function run<T>(
  ctx: ServiceContext,
  rule: (step: Step) => T,
  received?: (result: T) => Received | undefined,
): Promise<T> {
  const step = new Step(ctx.clock.now(), ctx.auth, ctx.timeouts);
  const result = rule(step);
  await execute(ctx, step.effects, received?.(result));
  return result;
}

/** Ends a session through the protocol's rule (which lists the end's effects). */
export async function end(
  ctx: ServiceContext,
  session: Session,
  phase: SessionPhase,
  why?: SessionEnd,
): Promise<void> {
  await run(ctx, (step) => step.end(session, phase, why));
}

/**
 * Executes a step's effects: its writes in one commit, waited for when they hold our envelopes
 * or a nonce marker (a failed one stops the step), then the other effects in the order listed.
 */
async function execute(
  ctx: ServiceContext,
  effects: Effect[],
  received: Received | undefined,
): Promise<void> {
  await commitStep(ctx, effects, received, abandonUnrecorded);
  for (const effect of effects) await perform(ctx, effect);
}

async function perform(ctx: ServiceContext, effect: Effect): Promise<void> {
  switch (effect.kind) {
    case 'persist':
      // Stored with the step's commit; our own sequence numbers are never accepted from others.
      return void ctx.replay.accept(effect.session.idHex, effect.session.entry.me, effect.sequence);
    case 'nonce-marker':
      return; // stored with the step's commit
    case 'send':
      if (effect.to === undefined) sendToMembers(ctx, effect.session, effect.envelope);
      else sendTo(ctx, effect.session, effect.to, effect.envelope);
      return;
    case 'publish':
      return publish(ctx, effect.session.entry as VaultState, effect.envelope);
    case 'mailbox':
      return touchMailbox(ctx, effect.session.entry as VaultState);
    case 'protect-peers':
      return protectPeers(ctx, effect.session);
    case 'update':
      return void ctx.emit('update', effect.view);
    case 'penalize':
      return ctx.penalize(effect.peer, effect.offence);
    case 'blamed': {
      const { kind: _, ...blame } = effect;
      return void ctx.emit('blame', blame);
    }
    case 'timer': {
      const { session, input } = effect;
      session.timers.set(() => void ctx.serial(() => onTimer(ctx, session, input)), effect.delayMs);
      return;
    }
    case 'broadcast':
      return broadcastFinal(ctx, effect.session, effect.attempt);
    case 'ended':
      return finish(ctx, effect.session, effect.phase, effect.view);
  }
}

/**
 * A nonce marker could not be stored, so what the step made with those nonces must not leave:
 * the secret nonces are dropped and our nonces or partial signature of the attempt forgotten
 * (none of the step's other effects are executed). The attempt cannot finish with us; nothing
 * signed with these nonces can reach anyone, not even inside a final transaction.
 */
function abandonUnrecorded(session: Session, marker: NonceMarker): void {
  const me = session.entry.me;
  if (marker.stage === 'issued' && session.offered[me]?.body.attempt === marker.attempt) {
    // Nonces made to ride with our approval: that approval must not leave either.
    if (session.approvals[me] === session.offered[me]?.bytes) session.approvals[me] = undefined;
    session.offered[me] = undefined;
    session.ownOffered = undefined;
  }
  const round = session.round;
  if (round?.attempt !== marker.attempt) return;
  round.own = undefined;
  if (marker.stage === 'issued') round.nonces[me] = undefined;
  else {
    round.partials[me] = undefined;
    round.signed = false;
    session.signedAttempts.delete(marker.attempt);
  }
}

/** A timer a step set has fired: its input runs against the session, if still open. */
async function onTimer(ctx: ServiceContext, session: Session, input: TimerInput): Promise<void> {
  if (FINISHED.has(session.phase) || ctx.sessions.get(session.idHex) !== session) return;
  if (input.kind === 'failover') return failover(ctx, session, input.attempt, input.position);
  return run(ctx, (step) => onTimerRule(session, input, step));
}

/** Our turn in the broadcast order came: unless the transaction was seen, broadcast it. */
async function failover(
  ctx: ServiceContext,
  session: Session,
  attempt: number,
  position: number,
): Promise<void> {
  const round = session.round;
  if (session.phase !== 'broadcasting' || round?.attempt !== attempt) return;
  if (await ctx.chain.seen(session.checked.summary.txid).catch(() => false)) {
    await end(ctx, session, 'completed');
    return;
  }
  // Everyone ahead of us in the order stayed silent: that costs them reputation.
  for (const silent of (round.order as number[]).slice(0, position))
    ctx.penalize(session.peers[silent], 'timeout');
  await broadcastFinal(ctx, session, attempt);
}

/** Broadcasts the final transaction; the chain's answer goes to the protocol's rule. */
async function broadcastFinal(
  ctx: ServiceContext,
  session: Session,
  attempt: number,
): Promise<void> {
  const final = session.round?.final;
  if (!final) return;
  let answer: BroadcastAnswer = { kind: 'accepted' };
  try {
    await ctx.chain.broadcast(final.tx);
    void learnSide(ctx, session, attempt);
  } catch (err) {
    if (await ctx.chain.seen(final.txid).catch(() => false)) answer = { kind: 'seen' };
    else if (!(err instanceof BroadcastError)) answer = { kind: 'unreachable' };
    else {
      const scriptVerify = isScriptVerifyRejection(err.message);
      answer = { kind: 'rejected', message: err.message, scriptVerify };
    }
  }
  await run(ctx, (step) => broadcastAnswered(session, attempt, answer, step));
}

/** Remembers the side the network just accepted (off the protocol's path). */
async function learnSide(ctx: ServiceContext, session: Session, attempt: number): Promise<void> {
  const medianTime = await ctx.chain.medianTimePast?.().catch(() => undefined);
  if (medianTime === undefined) return;
  const active = replayProtectionOf(session.proposal.replayProtection, attempt);
  ctx.replaySwitch.learn(session.entry.vault.network, active, medianTime);
}
