/**
 * Round 3 of an attempt and its aggregation (docs/PROTOCOL.md §6.5, §6.8): once every echo
 * agrees the signers elect the broadcast order and sign; once every partial signature is in,
 * each member aggregates and verifies the transaction, and the first in the order broadcasts
 * while the others wait their turn to fail over.
 *
 * Never reuse a secret nonce: the 'consumed' marker is listed before the partial signature's
 * envelope, so the service stores it durably before the signature can leave.
 */
import { MessageType } from '../envelope.ts';
import { coordinatorOrder, electionSeed } from '../election.ts';
import {
  BlameReason,
  type EchoPayload,
  type NoncesPayload,
  type PartialSigsPayload,
  encodePartialSigs,
} from '../messages.ts';
import { finalTransaction, firstInvalidPartial, signInputs } from '../musig-round.ts';
import type { Inbound, Received, Session } from '../session.ts';
import { attemptTranscript, nonceSetHash, signTranscript } from '../transcript.ts';
import { allFrom, checkedFor, ctxFor, fromSigners, leafOf, signers } from './attempt.ts';
import { blame } from './blame-rules.ts';
import type { Outcome, Step } from './effects.ts';

/** Once every echo agrees: elect, then sign (the durable marker first). */
export function afterEcho(session: Session, step: Step): void {
  const round = session.round;
  if (!round?.digests || round.signTranscript) return;
  if (!allFrom(session, round.attempt, round.echoes)) return;
  if (round.mismatch !== undefined) return;
  const { entry } = session;
  const list = signers(session, round.attempt);
  round.signTranscript = signTranscript(
    attemptTranscript(session.id, round.attempt),
    nonceSetHash(round.digests),
  );
  const echoes = fromSigners(session, round.attempt, round.echoes);
  round.order = coordinatorOrder(
    session.id,
    round.attempt,
    electionSeed(echoes.map((e) => e.body.electionReveal)),
    list.map((i) => entry.vault.members[i] as Uint8Array),
  ).map((position) => list[position] as number);
  session.phase = 'signing';
  if (!round.partials[entry.me] && !session.replaying) {
    if (!round.own) return;
    step.add({
      kind: 'nonce-marker',
      session,
      marker: { sessionId: session.idHex, attempt: round.attempt, stage: 'consumed', at: step.now },
    });
    round.signed = true;
    const partialSigs = signInputs(
      ctxFor(session, round.attempt),
      entry.key,
      round.own.secNonces,
      round.aggNonces as Uint8Array[],
      checkedFor(session, round.attempt),
    );
    const body: PartialSigsPayload = { attempt: round.attempt, partialSigs };
    const payloadBytes = encodePartialSigs(body);
    const bytes = step.seal(session, MessageType.partialSigs, payloadBytes, round.signTranscript);
    round.partials[entry.me] = { body, bytes, payloadBytes };
    step.sendToMembers(session, bytes);
  }
  step.changed(session);
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
  if (!signers(session, body.attempt).includes(session.entry.me)) return 'done';
  const round = session.round;
  if (!round || body.attempt > round.attempt || !round.signTranscript) return 'defer';
  if (!step.expectTranscript(inbound, round.signTranscript)) return 'done';
  const list = signers(session, round.attempt);
  if (!list.includes(signer) || round.partials[signer]) return 'done';
  const bad = firstInvalidPartial(
    ctxFor(session, round.attempt),
    list.indexOf(signer),
    body.partialSigs,
    (round.nonces[signer] as Received<NoncesPayload>).body.pubNonces,
    round.aggNonces as Uint8Array[],
    checkedFor(session, round.attempt),
  );
  if (bad >= 0) {
    const evidence = [
      inbound.bytes,
      (round.echoes[signer] as Received<EchoPayload>).bytes,
      ...fromSigners(session, round.attempt, round.nonces).map((n) => n.bytes),
    ];
    blame(session, signer, BlameReason.invalidPartialSig, evidence, step);
    return 'done';
  }
  round.partials[signer] = { body, bytes: inbound.bytes, payloadBytes: inbound.env.payload };
  afterPartial(session, step);
  return 'done';
}

/** Every partial is in: aggregate, verify, and broadcast in election order. */
export function afterPartial(session: Session, step: Step): void {
  const round = session.round;
  if (!round || round.final || session.replaying) return;
  if (!allFrom(session, round.attempt, round.partials)) return;
  try {
    round.final = finalTransaction(
      ctxFor(session, round.attempt),
      fromSigners(session, round.attempt, round.partials).map((p) => p.body.partialSigs),
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
