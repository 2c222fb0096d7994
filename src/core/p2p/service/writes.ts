/**
 * A protocol step's durable writes (docs/PROTOCOL.md §6.9): everything one step stores goes to
 * the session store in one commit (one IndexedDB transaction), and the step's sends wait for it
 * only when restart safety needs it — when it holds our own envelopes (their sequence numbers
 * must never be reused) or a nonce marker (a nonce or partial must never leave unrecorded). A
 * received envelope rides in the commit of the step that handled it, after the step's own; one
 * that made the step write nothing is stored in a commit nobody waits for (commits apply in call
 * order, so it still lands before anything written later).
 */
import type { Inbound, Session } from '../session.ts';
import type { NonceMarker, SessionWrite } from '../session-store.ts';
import type { Effect } from '../signing/effects.ts';
import type { ServiceContext } from './context.ts';

/** Received envelopes already stored with the step that handled them. */
const storedWithStep = new WeakSet<Inbound>();

/** A received envelope to store with the step that handled it. */
export interface Received {
  session: Session;
  inbound: Inbound;
}

/** Whether a received envelope belongs in the transcript (not ours, not a replay of storage). */
export function belongsInTranscript(session: Session, inbound: Inbound): boolean {
  return !session.replaying && inbound.env.signerIndex !== session.entry.me;
}

/**
 * Commits a step's writes, one commit per session (a step touches one), and waits for those
 * that must be on disk before the step's sends. A failed commit abandons what the step made
 * with the nonces of its unrecorded markers (see `abandon`), and throws.
 */
export async function commitStep(
  ctx: ServiceContext,
  effects: readonly Effect[],
  received: Received | undefined,
  abandon: (session: Session, marker: NonceMarker) => void,
): Promise<void> {
  const writes = new Map<Session, { write: SessionWrite; wait: boolean }>();
  const writeOf = (session: Session) => {
    let entry = writes.get(session);
    if (!entry) writes.set(session, (entry = { write: { sessionId: session.idHex }, wait: false }));
    return entry;
  };
  for (const effect of effects) {
    if (effect.kind === 'persist') {
      const entry = writeOf(effect.session);
      (entry.write.envelopes ??= []).push(effect.envelope);
      entry.write.nextSequence = effect.next;
      entry.wait = true;
    } else if (effect.kind === 'nonce-marker') {
      const entry = writeOf(effect.session);
      (entry.write.markers ??= []).push(effect.marker);
      entry.wait = true;
    }
  }
  if (received && belongsInTranscript(received.session, received.inbound)) {
    const entry = writeOf(received.session);
    (entry.write.envelopes ??= []).push(received.inbound.bytes);
    entry.write.nextSequence ??= received.session.nextSequence;
    storedWithStep.add(received.inbound);
  }
  for (const [session, { write, wait }] of writes) {
    const committed = ctx.store.commit(write);
    if (!wait) {
      quietly(ctx, committed);
      continue;
    }
    try {
      await committed;
    } catch (err) {
      for (const marker of write.markers ?? []) abandon(session, marker);
      throw err;
    }
  }
}

/** Stores a handled envelope that no step stored with its own writes (nobody waits for it). */
export function storeReceived(ctx: ServiceContext, session: Session, inbound: Inbound): void {
  if (storedWithStep.has(inbound) || !belongsInTranscript(session, inbound)) return;
  const write = { sessionId: session.idHex, envelopes: [inbound.bytes] };
  quietly(ctx, ctx.store.commit({ ...write, nextSequence: session.nextSequence }));
}

/** A write nobody waits for: its failure is reported, never thrown into the protocol. */
export function quietly(ctx: ServiceContext, write: Promise<void>): void {
  write.catch((err: unknown) =>
    ctx.emit('warning', {
      message: `Session store write failed: ${err instanceof Error ? err.message : String(err)}`,
    }),
  );
}
