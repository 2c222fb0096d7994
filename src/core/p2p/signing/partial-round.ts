/**
 * Round 2 of an attempt and its aggregation (docs/PROTOCOL.md §6.5, §6.8): a signer signs as
 * soon as it holds every signer's nonces, and its partial signature commits to that nonce set
 * and carries its election reveal. Once every partial is in, each member elects the broadcast
 * order, aggregates and verifies the transaction; the first in the order broadcasts while the
 * others wait their turn to fail over. A partial over another nonce set is not a bad partial:
 * the sets are compared (disclosure.ts).
 *
 * Never reuse a secret nonce: the 'consumed' marker is listed before the partial signature's
 * envelope, so the service stores it durably before the signature can leave.
 */
import { MessageType } from '../envelope.ts';
import { coordinatorOrder, electionSeed } from '../election.ts';
import {
  BlameReason,
  type NoncesPayload,
  type PartialSigsPayload,
  encodePartialSigs,
} from '../messages.ts';
import { finalTransaction, firstInvalidSigner, signInputs } from '../musig-round.ts';
import type { Inbound, Received, Session } from '../session.ts';
import { attemptTranscript, electionCommit, signTranscript } from '../transcript.ts';
import { allFrom, checkedFor, ctxFor, fromSigners, leafOf, same, signers } from './attempt.ts';
import { blame } from './blame-rules.ts';
import { onMismatch } from './disclosure.ts';
import type { Outcome, Step } from './effects.ts';
import { forwardPath, laterPathMayCover } from './leaf-path.ts';

/** The nonce set is fixed: sign on it (the durable marker first), once. */
export function signPartials(session: Session, step: Step): void {
  const round = session.round;
  if (!round?.setHash || !round.signTranscript) return;
  const { entry } = session;
  if (!round.partials[entry.me]) {
    if (session.replaying || !round.own) return; // restarted: resume abandons this attempt
    step.add({
      kind: 'nonce-marker',
      session,
      marker: { sessionId: session.idHex, attempt: round.attempt, stage: 'consumed', at: step.now },
    });
    round.signed = true;
    session.signedAttempts.add(round.attempt);
    const partialSigs = signInputs(
      ctxFor(session, round.attempt),
      entry.key,
      round.own.secNonces,
      round.aggNonces as Uint8Array[],
      checkedFor(session, round.attempt),
    );
    const body: PartialSigsPayload = {
      attempt: round.attempt,
      nonceSetHash: round.setHash,
      electionReveal: round.own.reveal,
      partialSigs,
    };
    const payloadBytes = encodePartialSigs(body);
    const bytes = step.seal(session, MessageType.partialSigs, payloadBytes, round.signTranscript);
    round.partials[entry.me] = { body, bytes, payloadBytes };
    step.sendToMembers(session, bytes);
  }
  // Signing again (a restarted member's nonces came back) never takes a final round back out of
  // 'broadcasting': its failover turn checks that phase (simulator seed 3946470924).
  if (!round.final) {
    session.phase = 'signing';
    step.changed(session);
  }
  afterPartial(session, step);
}

export function onPartials(
  session: Session,
  inbound: Inbound,
  body: PartialSigsPayload,
  step: Step,
): Outcome {
  const signer = inbound.env.signerIndex;
  if (body.attempt < session.attempt) return 'done';
  if (!signers(session, body.attempt).includes(session.entry.me))
    return laterPathMayCover(session, body.attempt) ? 'defer' : 'done';
  const round = session.round;
  if (!round || body.attempt > round.attempt || !round.setHash) return 'defer';
  // Bound to the nonce set its sender names, whichever that is.
  const theirs = signTranscript(attemptTranscript(session.id, round.attempt), body.nonceSetHash);
  if (!step.expectTranscript(inbound, theirs)) return 'done';
  const list = signers(session, round.attempt);
  if (!list.includes(signer) || round.partials[signer]) return 'done';
  if (!same(body.nonceSetHash, round.setHash)) {
    forwardPath(session, signer, step);
    onMismatch(session, signer, step);
    return 'done';
  }
  const nonces = round.nonces[signer] as Received<NoncesPayload>;
  const commit = electionCommit(session.id, round.attempt, signer, body.electionReveal);
  if (!same(commit, nonces.body.electionCommit)) {
    blame(session, signer, BlameReason.badReveal, [nonces.bytes, inbound.bytes], step);
    return 'done';
  }
  // The signature itself is checked at aggregation with everyone's (afterPartial): one batch.
  if (body.partialSigs.length !== checkedFor(session, round.attempt).sighashes.length) {
    blameInvalidPartial(session, signer, inbound.bytes, step);
    return 'done';
  }
  round.partials[signer] = { body, bytes: inbound.bytes, payloadBytes: inbound.env.payload };
  afterPartial(session, step);
  return 'done';
}

/** Every partial is in: elect the order, aggregate, verify, and broadcast in that order. */
export function afterPartial(session: Session, step: Step): void {
  const round = session.round;
  if (!round || round.final || session.replaying || round.mismatch !== undefined) return;
  if (!allFrom(session, round.attempt, round.partials)) return;
  const list = signers(session, round.attempt);
  const partials = fromSigners(session, round.attempt, round.partials);
  const culprit = invalidPartialFrom(session, list);
  if (culprit !== undefined) {
    const bytes = (round.partials[culprit] as Received<PartialSigsPayload>).bytes;
    blameInvalidPartial(session, culprit, bytes, step);
    return;
  }
  // Every reveal is in only now, after every commitment was fixed: nobody could pick its own.
  round.order = coordinatorOrder(
    session.id,
    round.attempt,
    electionSeed(partials.map((p) => p.body.electionReveal)),
    list.map((i) => session.entry.vault.members[i] as Uint8Array),
  ).map((position) => list[position] as number);
  try {
    round.final = finalTransaction(
      ctxFor(session, round.attempt),
      partials.map((p) => p.body.partialSigs),
      round.aggNonces as Uint8Array[],
      checkedFor(session, round.attempt),
      undefined,
      leafOf(session, round.attempt),
    );
  } catch (err) {
    step.end(session, 'failed', { reason: 'invalid-final', detail: (err as Error).message });
    return;
  }
  session.finalizedAt = step.now;
  session.phase = 'broadcasting';
  step.changed(session);
  const position = (round.order as number[]).indexOf(session.entry.me);
  const attempt = round.attempt;
  if (position === 0) {
    step.add({ kind: 'broadcast', session, attempt });
    return;
  }
  // Failover: member k in the order steps in after k × failoverMs unless the tx was seen.
  step.add({
    kind: 'timer',
    session,
    delayMs: position * step.timeouts.failoverMs,
    input: { kind: 'failover', attempt, position },
  });
}

/**
 * Every other signer's partial signatures, checked together now that all are in (one batch per
 * input, falling back to one check per partial only to name the member): the signer whose
 * partial is invalid, or undefined. Ours was checked when we signed (the fault check).
 */
function invalidPartialFrom(session: Session, list: number[]): number | undefined {
  const round = session.round as NonNullable<Session['round']>;
  const others = list.filter((i) => i !== session.entry.me);
  const bad = firstInvalidSigner(
    ctxFor(session, round.attempt),
    others.map((i) => ({
      position: list.indexOf(i),
      partialSigs: (round.partials[i] as Received<PartialSigsPayload>).body.partialSigs,
      pubNonces: (round.nonces[i] as Received<NoncesPayload>).body.pubNonces,
    })),
    round.aggNonces as Uint8Array[],
    checkedFor(session, round.attempt),
  );
  return bad < 0 ? undefined : others[bad];
}

/** Blames `signer` for an invalid partial: its signed partials and every signer's nonces prove it. */
function blameInvalidPartial(session: Session, signer: number, bytes: Uint8Array, step: Step) {
  const round = session.round as NonNullable<Session['round']>;
  const nonces = fromSigners(session, round.attempt, round.nonces).map((n) => n.bytes);
  blame(session, signer, BlameReason.invalidPartialSig, [bytes, ...nonces], step);
}
