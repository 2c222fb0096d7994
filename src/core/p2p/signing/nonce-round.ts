/**
 * Rounds 1 and 2 of an attempt (docs/PROTOCOL.md §6.5): each signer sends its public nonces with
 * an election commitment, then echoes the digests of every signer's nonces it received with its
 * reveal. Echoes that disagree expose a member who sent different nonces to different members.
 */
import { BlameReason, type EchoPayload, type NoncesPayload } from '../messages.ts';
import { encodeBlame, encodeEcho, encodeNonces } from '../messages.ts';
import { MessageType } from '../envelope.ts';
import { aggregateNonces, makeNonces, noncesValid } from '../musig-round.ts';
import { FINISHED, type Inbound, type Session, newAttempt } from '../session.ts';
import { attemptTranscript, electionCommit, nonceDigest } from '../transcript.ts';
import { allFrom, checkedFor, ctxFor, fromSigners, ready, same, signers } from './attempt.ts';
import { blame } from './blame-rules.ts';
import type { Outcome, Step } from './effects.ts';
import { maybeChoosePath } from './leaf-path.ts';
import { afterEcho } from './partial-round.ts';

/** Starts `attempt`: fresh nonces, stored as issued before they leave. */
export function startAttempt(session: Session, attempt: number, step: Step): void {
  const { entry } = session;
  session.attempt = attempt;
  // A member outside the path's signers watches: the broadcast notice tells it the outcome.
  if (!signers(session, attempt).includes(entry.me)) return;
  const round = newAttempt(attempt, entry.vault.members.length);
  session.round = round;
  session.phase = 'nonces';
  const checked = checkedFor(session, attempt);
  const own = makeNonces(
    ctxFor(session, attempt),
    entry.key,
    checked,
    session.id,
    attempt,
    entry.me,
  );
  // Durable before the nonces leave: after a crash this attempt is abandoned, never resumed.
  step.add({
    kind: 'nonce-marker',
    session,
    marker: { sessionId: session.idHex, attempt, stage: 'issued', at: step.now },
  });
  round.own = own;
  const body: NoncesPayload = { attempt, electionCommit: own.commit, pubNonces: own.pubNonces };
  const payloadBytes = encodeNonces(body);
  const bytes = step.seal(
    session,
    MessageType.nonces,
    payloadBytes,
    attemptTranscript(session.id, attempt),
  );
  round.nonces[entry.me] = { body, bytes, payloadBytes };
  step.sendToMembers(session, bytes);
  step.changed(session);
  afterNonce(session, step);
}

/** Starts the current attempt once its signers have all approved, else looks for a leaf. */
export function maybeStartAttempt(session: Session, step: Step): void {
  if (session.replaying || FINISHED.has(session.phase) || session.round) return;
  if (!ready(session, session.attempt)) maybeChoosePath(session, step);
  else startAttempt(session, session.attempt, step);
}

/** Follows the group to a later attempt (someone restarted, revoked or re-approved). */
export function advanceTo(session: Session, attempt: number, step: Step): void {
  if (attempt <= session.attempt && session.round) return;
  session.round = undefined;
  session.attempt = attempt;
  session.phase = 'awaiting-approvals';
  if (ready(session, attempt) && !session.replaying) startAttempt(session, attempt, step);
}

export function onNonces(
  session: Session,
  inbound: Inbound,
  body: NoncesPayload,
  step: Step,
): Outcome {
  const signer = inbound.env.signerIndex;
  if (body.attempt < session.attempt) return 'done'; // stale
  if (!step.expectTranscript(inbound, attemptTranscript(session.id, body.attempt))) return 'done';
  const list = signers(session, body.attempt);
  // Key-path nonces racing a path choice, a sender outside the path, or we only watch it.
  if (!list.includes(signer) || !list.includes(session.entry.me)) return 'done';
  if (body.attempt > session.attempt || !session.round) {
    if (session.replaying || !ready(session, body.attempt)) return 'defer';
    advanceTo(session, body.attempt, step);
    if (!session.round) return 'defer';
  }
  const round = session.round;
  const payloadBytes = inbound.env.payload;
  const previous = round.nonces[signer];
  if (previous) {
    if (!same(previous.payloadBytes, payloadBytes))
      blame(session, signer, BlameReason.equivocation, [previous.bytes, inbound.bytes], step);
    return 'done';
  }
  if (!noncesValid(body.pubNonces, session.checked.sighashes.length)) {
    blame(session, signer, BlameReason.invalidNonce, [inbound.bytes], step);
    return 'done';
  }
  round.nonces[signer] = { body, bytes: inbound.bytes, payloadBytes };
  afterNonce(session, step);
  return 'done';
}

/** Once every signer's nonces are in: echo what we received (equivocation check). */
export function afterNonce(session: Session, step: Step): void {
  const round = session.round;
  if (!round || round.digests || !allFrom(session, round.attempt, round.nonces)) return;
  const nonces = fromSigners(session, round.attempt, round.nonces);
  round.digests = nonces.map((n) => nonceDigest(n.payloadBytes));
  round.aggNonces = aggregateNonces(
    nonces.map((n) => n.body.pubNonces),
    session.checked.sighashes.length,
  );
  session.phase = 'echo';
  if (session.replaying && !round.echoes[session.entry.me]) return;
  if (!round.echoes[session.entry.me]) {
    if (!round.own) return; // restarted: this attempt is abandoned by resume
    const body: EchoPayload = {
      attempt: round.attempt,
      electionReveal: round.own.reveal,
      digests: round.digests,
    };
    const payloadBytes = encodeEcho(body);
    const bytes = step.seal(
      session,
      MessageType.nonceEcho,
      payloadBytes,
      attemptTranscript(session.id, round.attempt),
    );
    round.echoes[session.entry.me] = { body, bytes, payloadBytes };
    step.sendToMembers(session, bytes);
  }
  step.changed(session);
  afterEcho(session, step);
}

export function onEcho(session: Session, inbound: Inbound, body: EchoPayload, step: Step): Outcome {
  const signer = inbound.env.signerIndex;
  if (body.attempt < session.attempt) return 'done';
  if (!step.expectTranscript(inbound, attemptTranscript(session.id, body.attempt))) return 'done';
  if (!signers(session, body.attempt).includes(session.entry.me)) return 'done';
  const round = session.round;
  if (!round || body.attempt > round.attempt || !round.digests) return 'defer';
  if (!signers(session, round.attempt).includes(signer)) return 'done';
  if (round.echoes[signer]) return 'done';
  const commit = round.nonces[signer]?.body.electionCommit as Uint8Array;
  if (!same(electionCommit(session.id, round.attempt, signer, body.electionReveal), commit)) {
    const evidence = [round.nonces[signer]?.bytes as Uint8Array, inbound.bytes];
    blame(session, signer, BlameReason.badReveal, evidence, step);
    return 'done';
  }
  round.echoes[signer] = { body, bytes: inbound.bytes, payloadBytes: inbound.env.payload };
  const mismatch = body.digests.findIndex(
    (d, k) => !same(d, round.digests?.[k] ?? new Uint8Array(0)),
  );
  if (body.digests.length !== round.digests.length || mismatch >= 0) {
    const list = signers(session, round.attempt);
    onMismatch(session, mismatch < 0 ? signer : (list[mismatch] as number), step);
    return 'done';
  }
  afterEcho(session, step);
  return 'done';
}

/**
 * Someone received a different nonce message from member `k` than we did. We show everyone our
 * copy; whoever holds the other can then prove the equivocation with both signed messages.
 */
function onMismatch(session: Session, k: number, step: Step): void {
  const round = session.round as NonNullable<Session['round']>;
  if (round.mismatch !== undefined || session.replaying) return;
  round.mismatch = k;
  const ours = round.nonces[k]?.bytes;
  if (ours) {
    const bytes = step.seal(
      session,
      MessageType.blame,
      encodeBlame({
        attempt: round.attempt,
        culprit: k,
        reason: BlameReason.nonceMismatch,
        evidence: [ours],
      }),
      attemptTranscript(session.id, round.attempt),
    );
    step.sendToMembers(session, bytes);
  }
  const input = { kind: 'mismatch-expired', suspect: k } as const;
  step.add({ kind: 'timer', session, delayMs: step.timeouts.mismatchMs, input });
}

/** No proof came while the echoes disagreed: the session fails, naming the suspect. */
export function mismatchExpired(session: Session, suspect: number, step: Step): void {
  step.end(session, 'failed', {
    reason: 'nonce-mismatch',
    detail: 'Members received different nonces from the same member',
    suspect,
  });
}
