/**
 * What a protocol step asks the signing service to do. The rules of docs/PROTOCOL.md §6 run as
 * steps over one session's state (`Session`): a step reads its input, updates the state and lists
 * effects, without I/O. The service (service/executor.ts) stores all of a step's durable writes
 * ('persist', 'nonce-marker') in one commit before anything else, then runs the other effects in
 * the order listed: a record is on disk before the envelope that needs it leaves. A commit that
 * fails stops the step; for a nonce marker the service also forgets what the step made with
 * those nonces (abandonUnrecorded in service/executor.ts).
 */
import type { EnvelopeAuth, MessageType } from '../envelope.ts';
import { sealEnvelope } from '../envelope.ts';
import { same } from './attempt.ts';
import type { Offence } from '../reputation.ts';
import type { NonceMarker } from '../session-store.ts';
import {
  FINISHED,
  type Inbound,
  type Session,
  type SessionEnd,
  type SessionPhase,
  type SessionView,
  viewOf,
} from '../session.ts';

/** A received message was handled, or must wait for state it needs (then it is retried). */
export type Outcome = 'done' | 'defer';

/** An input a timer set by a step delivers back to the session when it fires. */
export type TimerInput =
  | { kind: 'mismatch-expired'; attempt: number }
  | { kind: 'failover'; attempt: number; position: number }
  | { kind: 'leaf-deadline' };

export type Effect =
  /** Store one of our sealed envelopes in the session's transcript (before it may leave). */
  | { kind: 'persist'; session: Session; envelope: Uint8Array; sequence: number; next: number }
  /** Store a nonce marker: 'issued' before nonces leave, 'consumed' before partials leave. */
  | { kind: 'nonce-marker'; session: Session; marker: NonceMarker }
  /** Deliver directly, with retries, to every member with a bound peer (or one member). */
  | { kind: 'send'; session: Session; envelope: Uint8Array; to?: number }
  /** Gossip on the vault's topic (for members without a bound peer yet). */
  | { kind: 'publish'; session: Session; envelope: Uint8Array }
  /** Rewrite this member's mailbox record (after the work already queued). */
  | { kind: 'mailbox'; session: Session }
  /** Keep the session's bound peers connected while it lasts. */
  | { kind: 'protect-peers'; session: Session }
  | { kind: 'update'; view: SessionView }
  | { kind: 'penalize'; peer: string | undefined; offence: Offence }
  | { kind: 'blamed'; sessionId: string; culprit: number; reason: string; peerId?: string }
  | { kind: 'timer'; session: Session; delayMs: number; input: TimerInput }
  /** Broadcast the final transaction of `attempt` (the chain's answer comes back as input). */
  | { kind: 'broadcast'; session: Session; attempt: number }
  /** The session ended (its state already says so): store, release and tell the waiters. */
  | { kind: 'ended'; session: Session; phase: SessionPhase; view: SessionView };

/** Where a step collects its effects, with what it may know of the world: the time and keys. */
export class Step {
  readonly effects: Effect[] = [];
  readonly now: number;
  readonly auth: EnvelopeAuth;
  readonly timeouts: { failoverMs: number; mismatchMs: number };

  // Plain fields, not parameter properties: Node's type stripping (benches, the sim CLI) cannot run those.
  constructor(
    now: number,
    auth: EnvelopeAuth,
    timeouts: { failoverMs: number; mismatchMs: number },
  ) {
    this.now = now;
    this.auth = auth;
    this.timeouts = timeouts;
  }

  add(effect: Effect): void {
    this.effects.push(effect);
  }

  /** Signs one of our envelopes and lists it for storage before anything can send it. */
  seal(session: Session, type: MessageType, payload: Uint8Array, transcript: Uint8Array) {
    const { entry } = session;
    const sequence = session.nextSequence++;
    const envelope = sealEnvelope(
      {
        type,
        vaultId: entry.vaultId,
        sessionId: session.id,
        signerIndex: entry.me,
        sequence,
        transcriptHash: transcript,
        sentAt: this.now,
        payload,
      },
      entry.key,
      this.auth,
    );
    this.add({ kind: 'persist', session, envelope, sequence, next: session.nextSequence });
    return envelope;
  }

  /** To every member (nothing while a stored transcript is replayed). */
  sendToMembers(session: Session, envelope: Uint8Array): void {
    if (!session.replaying) this.add({ kind: 'send', session, envelope });
  }

  changed(session: Session): void {
    if (!session.replaying) this.add({ kind: 'update', view: viewOf(session) });
  }

  /** A message bound to another transcript is dropped, and costs its peer. */
  expectTranscript(inbound: Inbound, expected: Uint8Array): boolean {
    if (same(inbound.env.transcriptHash, expected)) return true;
    this.penalize(inbound.from, 'bad-frame');
    return false;
  }

  penalize(peer: string | undefined, offence: Offence): void {
    if (peer !== undefined) this.add({ kind: 'penalize', peer, offence });
  }

  /** Ends the session now (later steps see it finished); the service stores and releases it. */
  end(session: Session, phase: SessionPhase, end?: SessionEnd): void {
    if (FINISHED.has(session.phase)) return;
    session.phase = phase;
    session.endedAt = this.now;
    if (end) session.end = end;
    this.add({ kind: 'ended', session, phase, view: viewOf(session) });
  }
}
