/**
 * Restart (docs/PROTOCOL.md §6.10): each open session is rebuilt from its stored public
 * transcript — our own envelopes restore what we said, the others' run through the session's
 * rules again without side effects — and then `signing/restart.ts` decides how to go on. An
 * attempt whose nonces left but whose partial signature did not is abandoned (the secret nonces
 * died with the process), and the group moves to a fresh attempt.
 */
import { MessageDecodeError, MessageType, openEnvelope } from '../envelope.ts';
import { decodePayload } from '../messages.ts';
import type { Inbound, Session } from '../session.ts';
import type { StoredSession } from '../session-store.ts';
import { type CheckedSpend, checkSpend } from '../spend-check.ts';
import { replayOwn, resume } from '../signing/restart.ts';
import type { ServiceContext, VaultState } from './context.ts';
import { run } from './executor.ts';
import { dispatch, drainDeferred } from './receive.ts';
import { createSession } from './sessions.ts';

/** Rebuilds the vault's stored sessions after a restart; ended and expired ones get tombstones. */
export async function resumeStored(ctx: ServiceContext, state: VaultState): Promise<void> {
  const now = ctx.clock.now();
  for (const stored of await ctx.store.list()) {
    if (stored.vaultId !== state.vault.id || ctx.sessions.has(stored.sessionId)) continue;
    if (stored.status !== 'open') {
      const lookFor = stored.status !== 'completed' && stored.txid ? { txid: stored.txid } : {};
      ctx.tombstones.set(stored.sessionId, { expiresAt: stored.expiresAt, ...lookFor });
      continue;
    }
    if (stored.expiresAt <= now || stored.envelopes.length === 0) {
      await ctx.store.commit({ sessionId: stored.sessionId, finish: { status: 'expired' } });
      ctx.tombstones.set(stored.sessionId, { expiresAt: stored.expiresAt });
      continue;
    }
    await replayStored(ctx, state, stored);
  }
}

async function replayStored(
  ctx: ServiceContext,
  state: VaultState,
  stored: StoredSession,
): Promise<void> {
  const [first, ...rest] = stored.envelopes;
  let proposal: Inbound;
  try {
    const env = openEnvelope(first as Uint8Array);
    proposal = { env, payload: decodePayload(env.type, env.payload), bytes: first as Uint8Array };
  } catch {
    await ctx.store.commit({ sessionId: stored.sessionId, finish: { status: 'failed' } });
    return;
  }
  if (proposal.payload.type !== MessageType.proposal) return;
  const body = proposal.payload.body;
  let checked: CheckedSpend;
  try {
    checked = checkSpend(state.vault, body.spend, body.replayProtection, ctx.limits, {
      leaves: body.leafAfter !== undefined,
    });
  } catch {
    await ctx.store.commit({ sessionId: stored.sessionId, finish: { status: 'failed' } });
    return;
  }
  const session = createSession(
    ctx,
    state,
    proposal.env.sessionId,
    proposal.env.signerIndex,
    body,
    checked,
  );
  session.proposalBytes = proposal.bytes;
  session.nextSequence = stored.nextSequence;
  session.replaying = true;
  ctx.replay.accept(session.idHex, proposal.env.signerIndex, proposal.env.sequence);
  for (const bytes of rest) {
    try {
      const env = openEnvelope(bytes);
      const inbound: Inbound = { env, payload: decodePayload(env.type, env.payload), bytes };
      if (!ctx.replay.accept(session.idHex, env.signerIndex, env.sequence)) continue;
      if (env.signerIndex === state.me) replayOwn(session, inbound, ctx.transport.peerId);
      else await dispatch(ctx, session, inbound);
    } catch (err) {
      if (!(err instanceof MessageDecodeError)) throw err;
    }
  }
  session.replaying = false;
  await resumeSession(ctx, session);
}

/** The store answers which nonces of the current attempt were issued; the rule decides. */
async function resumeSession(ctx: ServiceContext, session: Session): Promise<void> {
  const markers = await ctx.store.nonceMarkers(session.idHex);
  const state = session.entry as VaultState;
  const own = { peerId: ctx.transport.peerId, ...(state.burn ? { burn: state.burn } : {}) };
  await run(ctx, (step) => resume(session, markers, own, step));
  // Messages set aside while replaying (they needed state the replay could not build) apply now.
  await drainDeferred(ctx, session);
}
