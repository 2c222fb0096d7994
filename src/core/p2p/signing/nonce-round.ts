/**
 * Round 1 of an attempt (docs/PROTOCOL.md §6.5): each signer sends its public nonces with an
 * election commitment, in its approval when it knew then that it signs the attempt
 * (approval-nonces.ts), else in a nonces message. Once a member holds every signer's nonces it
 * fixes the nonce set (their digests and its hash) and signs on it right away (partial-round.ts);
 * there is no echo round.
 */
import { BlameReason, type NoncesPayload, encodeNonces } from '../messages.ts';
import { MessageType } from '../envelope.ts';
import { type OwnNonces, aggregateNonces, makeNonces, noncesValid } from '../musig-round.ts';
import { FINISHED, type Inbound, type Received, type Session, newAttempt } from '../session.ts';
import { attemptTranscript, nonceDigest, nonceSetHash, signTranscript } from '../transcript.ts';
import { allFrom, checkedFor, ctxFor, fromSigners, ready, same, signers } from './attempt.ts';
import { blame } from './blame-rules.ts';
import type { Outcome, Step } from './effects.ts';
import { laterPathMayCover, maybeChoosePath } from './leaf-path.ts';
import { signPartials } from './partial-round.ts';

/** Fresh nonces for `attempt`, stored as issued (with the envelope that carries them) first. */
export function issueNonces(session: Session, attempt: number, step: Step): OwnNonces {
  const { entry } = session;
  const own = makeNonces(
    ctxFor(session, attempt),
    entry.key,
    checkedFor(session, attempt),
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
  return own;
}

/**
 * Starts `attempt`. Our nonces for it rode with our approval if we made them then (§6.3);
 * otherwise fresh ones go out in a nonces message. The nonces the others' approvals carried for
 * it join the round as their nonces messages would.
 */
export function startAttempt(session: Session, attempt: number, step: Step): void {
  const { entry } = session;
  session.attempt = attempt;
  // A member outside the path's signers watches: the broadcast notice tells it the outcome.
  if (!signers(session, attempt).includes(entry.me)) return;
  const round = newAttempt(attempt, entry.vault.members.length);
  session.round = round;
  session.phase = 'nonces';
  const offered = session.offered[entry.me];
  if (offered?.body.attempt === attempt) {
    // Sent with our approval; never made twice for one attempt (without the secret we cannot sign).
    if (session.ownOffered) round.own = session.ownOffered;
    session.ownOffered = undefined;
    round.nonces[entry.me] = offered;
  } else {
    const own = issueNonces(session, attempt, step);
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
  }
  step.changed(session);
  joinOffered(session, step);
  afterNonce(session, step);
}

/** The nonces other signers' approvals carried for the running round's attempt join it. */
export function joinOffered(session: Session, step: Step): void {
  const round = session.round;
  if (!round) return;
  for (const signer of signers(session, round.attempt)) {
    const offered = session.offered[signer];
    if (FINISHED.has(session.phase)) return;
    if (offered?.body.attempt === round.attempt && !round.nonces[signer])
      takeNonces(session, signer, offered, step);
  }
}

/** Starts the current attempt once its signers have all approved, else looks for a leaf. */
export function maybeStartAttempt(session: Session, step: Step): void {
  if (session.replaying || FINISHED.has(session.phase)) return;
  if (session.round) {
    // A running round: an approval may have brought a signer's nonces for it. A round a revoke
    // left unable to finish (kept: our partial may count, §6.4) leaves room for a new path.
    joinOffered(session, step);
    afterNonce(session, step);
    maybeChoosePath(session, step);
  } else if (!ready(session, session.attempt)) maybeChoosePath(session, step);
  else startAttempt(session, session.attempt, step);
}

/** Follows the group to a later attempt (someone restarted, revoked or re-approved). */
export function advanceTo(session: Session, attempt: number, step: Step): void {
  if (attempt <= session.attempt && session.round) return;
  session.round = undefined;
  // Our approval's nonces for an attempt left behind are never used: drop their secret.
  if ((session.offered[session.entry.me]?.body.attempt ?? 0) < attempt)
    session.ownOffered = undefined;
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
  if (!list.includes(signer) || !list.includes(session.entry.me))
    return laterPathMayCover(session, body.attempt) ? 'defer' : 'done';
  if (body.attempt > session.attempt || !session.round) {
    if (session.replaying || !ready(session, body.attempt)) return 'defer';
    advanceTo(session, body.attempt, step);
    if (!session.round) return 'defer';
  }
  takeNonces(
    session,
    signer,
    { body, bytes: inbound.bytes, payloadBytes: inbound.env.payload },
    step,
  );
  afterNonce(session, step);
  return 'done';
}

/**
 * A signer's nonces for the running round, from its nonces message or its approval (§6.5 step 2):
 * a second, different set is equivocation, an invalid one invalidNonce; both are blamed.
 */
export function takeNonces(
  session: Session,
  signer: number,
  received: Received<NoncesPayload>,
  step: Step,
): void {
  const round = session.round;
  if (!round || received.body.attempt !== round.attempt) return;
  const previous = round.nonces[signer];
  if (previous) {
    if (!same(previous.payloadBytes, received.payloadBytes))
      blame(session, signer, BlameReason.equivocation, [previous.bytes, received.bytes], step);
    return;
  }
  if (!noncesValid(received.body.pubNonces, session.checked.sighashes.length)) {
    blame(session, signer, BlameReason.invalidNonce, [received.bytes], step);
    return;
  }
  round.nonces[signer] = received;
}

/**
 * Once every signer's nonces are in: fix the nonce set the attempt signs on, then sign. Also
 * called on resume, when the set may be complete already (signing is idempotent).
 */
export function afterNonce(session: Session, step: Step): void {
  const round = session.round;
  if (!round || FINISHED.has(session.phase)) return;
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
