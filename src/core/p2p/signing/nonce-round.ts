/**
 * Round 1 of an attempt (docs/PROTOCOL.md §6.5): each signer sends its public nonces with an
 * election commitment. Once a member holds every signer's nonces it fixes the nonce set (their
 * digests and its hash) and signs on it right away (partial-round.ts); there is no echo round.
 */
import { BlameReason, type NoncesPayload, encodeNonces } from '../messages.ts';
import { MessageType } from '../envelope.ts';
import { aggregateNonces, makeNonces, noncesValid } from '../musig-round.ts';
import { FINISHED, type Inbound, type Session, newAttempt } from '../session.ts';
import { attemptTranscript, nonceDigest, nonceSetHash, signTranscript } from '../transcript.ts';
import { allFrom, checkedFor, ctxFor, fromSigners, ready, same, signers } from './attempt.ts';
import { blame } from './blame-rules.ts';
import type { Outcome, Step } from './effects.ts';
import { maybeChoosePath } from './leaf-path.ts';
import { signPartials } from './partial-round.ts';

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

/**
 * Once every signer's nonces are in: fix the nonce set the attempt signs on, then sign. Also
 * called on resume, when the set may be complete already (signing is idempotent).
 */
export function afterNonce(session: Session, step: Step): void {
  const round = session.round;
  if (!round) return;
  if (!round.setHash) {
    if (!allFrom(session, round.attempt, round.nonces)) return;
    const nonces = fromSigners(session, round.attempt, round.nonces);
    round.digests = nonces.map((n) => nonceDigest(n.payloadBytes));
    round.setHash = nonceSetHash(round.digests);
    round.signTranscript = signTranscript(
      attemptTranscript(session.id, round.attempt),
      round.setHash,
    );
    round.aggNonces = aggregateNonces(
      nonces.map((n) => n.body.pubNonces),
      session.checked.sighashes.length,
    );
  }
  signPartials(session, step);
}
