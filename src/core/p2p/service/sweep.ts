/**
 * The periodic sweep (docs/PROTOCOL.md §6.9): asks the chain about sessions that may have
 * completed without us, expires open sessions past their deadline, forgets finished ones whose
 * tombstone ran out, and prunes the early buffer and the reputation table.
 */
import { FINISHED, type SessionView } from '../session.ts';
import { expireIfDue } from '../signing/expiry.ts';
import type { ServiceContext } from './context.ts';
import { end, run } from './executor.ts';

export async function sweep(ctx: ServiceContext): Promise<void> {
  const now = ctx.clock.now();
  await recheckChain(ctx, now);
  for (const session of [...ctx.sessions.values()])
    await run(ctx, (step) => expireIfDue(session, step));
  for (const [id, { expiresAt }] of ctx.tombstones) {
    if (expiresAt <= now) {
      ctx.tombstones.delete(id);
      await ctx.store.delete(id);
    }
  }
  for (const stored of await ctx.store.list()) {
    if (stored.expiresAt <= now && !ctx.sessions.has(stored.sessionId))
      await ctx.store.delete(stored.sessionId);
  }
  ctx.early.expire(ctx.timeouts.earlyMs);
  ctx.reputation.prune();
}

/** Sweeps every `sweepMs` while the service runs (in the serial queue, like every step). */
export function scheduleSweep(ctx: ServiceContext): void {
  ctx.timers.set(() => {
    void ctx
      .serial(() => sweep(ctx))
      .finally(() => {
        if (ctx.running) scheduleSweep(ctx);
      });
  }, ctx.timeouts.sweepMs);
}

/**
 * A session can complete without us hearing of it: cut off while the others finished, ended on
 * a blame while the culprit broadcast the approved transaction, or declined while k others of a
 * threshold vault signed. The chain is the witness (docs/PROTOCOL.md §6.9). A txid does not
 * cover signatures, so every attempt's transaction has the session's txid (§6.13). Open
 * sessions are checked before they may expire; ended ones that did not complete, while their
 * tombstone lasts.
 */
async function recheckChain(ctx: ServiceContext, now: number): Promise<void> {
  const seen = (txid: string) => ctx.chain.seen(txid).catch(() => false);
  for (const session of [...ctx.sessions.values()]) {
    if (FINISHED.has(session.phase)) continue;
    if (await seen(session.checked.summary.txid)) await end(ctx, session, 'completed');
  }
  for (const [id, tombstone] of [...ctx.tombstones]) {
    if (tombstone.expiresAt <= now) continue;
    const ended = tombstone.view;
    if (!ended) {
      if (tombstone.txid && (await seen(tombstone.txid))) await completedAfterRestart(ctx, id);
      continue;
    }
    if (ended.phase === 'completed' || !(await seen(ended.summary.txid))) continue;
    await completedElsewhere(ctx, id, ended);
  }
}

/** The same, for a session this process only knows from its store: the record says completed. */
async function completedAfterRestart(ctx: ServiceContext, id: string): Promise<void> {
  const tombstone = ctx.tombstones.get(id);
  const txid = tombstone?.txid;
  if (!tombstone || !txid) return;
  delete tombstone.txid;
  await ctx.store.commit({ sessionId: id, finish: { status: 'completed', txid } });
}

/** A session that ended here otherwise landed on chain: say so, truthfully. */
async function completedElsewhere(
  ctx: ServiceContext,
  id: string,
  ended: SessionView,
): Promise<void> {
  const declined = ended.end?.reason === 'declined' && ended.end.by === ended.me;
  const was = `${ended.phase}${ended.end ? ` (${ended.end.reason})` : ''}`;
  const view: SessionView = {
    ...ended,
    phase: 'completed',
    txid: ended.summary.txid,
    end: declined
      ? {
          reason: 'completed-without-you',
          detail: 'You declined, but enough other members signed: the spend is on chain',
        }
      : {
          reason: 'seen-on-chain',
          detail: `This wallet saw the session end ${was}, but its transaction is on chain`,
        },
  };
  await ctx.store.commit({ sessionId: id, finish: { status: 'completed', txid: view.txid } });
  const tombstone = ctx.tombstones.get(id);
  if (tombstone) tombstone.view = view;
  ctx.emit('completed', view);
}
