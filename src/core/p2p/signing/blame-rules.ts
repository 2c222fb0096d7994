/**
 * Blame (docs/PROTOCOL.md §6.7): a member proven, by envelopes it signed, to have equivocated,
 * sent an invalid nonce or partial signature, or a reveal that does not open its commitment,
 * is named to every member and the session fails. A false accusation costs its sender. (How an
 * equivocation is found without an echo round: disclosure.ts.)
 */
import { type BlameContext, verifyBlame } from '../blame.ts';
import { MessageType } from '../envelope.ts';
import { type BlamePayload, BlameReason, encodeBlame } from '../messages.ts';
import type { Offence } from '../reputation.ts';
import { FINISHED, type Inbound, type Session } from '../session.ts';
import { attemptTranscript } from '../transcript.ts';
import { checkedFor, ctxFor, signers } from './attempt.ts';
import type { Outcome, Step } from './effects.ts';

/** Accuses `culprit` with signed evidence of `attempt`, tells every member, fails the session. */
export function blame(
  session: Session,
  culprit: number,
  reason: BlameReason,
  evidence: Uint8Array[],
  step: Step,
  attempt = session.round?.attempt ?? session.attempt,
): void {
  if (FINISHED.has(session.phase)) return;
  if (!session.replaying) {
    const body: BlamePayload = {
      attempt,
      culprit,
      reason,
      evidence,
    };
    const transcript = attemptTranscript(session.id, body.attempt);
    const bytes = step.seal(session, MessageType.blame, encodeBlame(body), transcript);
    step.sendToMembers(session, bytes);
    session.lastWord = bytes;
  }
  concludeBlame(session, culprit, reason, step);
}

export function onBlame(
  session: Session,
  inbound: Inbound,
  body: BlamePayload,
  step: Step,
): Outcome {
  if (verifyBlame(blameContext(session, body.attempt, step), body)) {
    session.lastWord = inbound.bytes;
    concludeBlame(session, body.culprit, body.reason, step);
  } else step.penalize(inbound.from, 'false-blame');
  return 'done';
}

/** What a blame's evidence is checked against: this session's members, signers and spend. */
export function blameContext(session: Session, attempt: number, step: Step): BlameContext {
  return {
    vaultId: session.entry.vaultId,
    sessionId: session.id,
    members: session.entry.vault.members,
    signers: signers(session, attempt),
    keyCtx: ctxFor(session, attempt),
    sighashes: checkedFor(session, attempt).sighashes,
    auth: step.auth,
  };
}

function concludeBlame(session: Session, culprit: number, reason: BlameReason, step: Step) {
  if (FINISHED.has(session.phase)) return;
  const name = Object.entries(BlameReason).find(([, code]) => code === reason)?.[0] ?? 'blame';
  const peer = session.peers[culprit];
  const offence: Offence =
    reason === BlameReason.equivocation
      ? 'equivocation'
      : reason === BlameReason.badReveal
        ? 'bad-reveal'
        : 'invalid-partial-sig';
  step.penalize(peer, offence);
  step.add({
    kind: 'blamed',
    sessionId: session.idHex,
    culprit,
    reason: name,
    ...(peer ? { peerId: peer } : {}),
  });
  step.end(session, 'failed', {
    reason: name,
    detail: `Proven to have sent ${describe(reason)}`,
    culprit,
  });
}

function describe(reason: BlameReason): string {
  switch (reason) {
    case BlameReason.invalidPartialSig:
      return 'an invalid partial signature';
    case BlameReason.equivocation:
      return 'different nonces to different members';
    case BlameReason.invalidNonce:
      return 'an invalid public nonce';
    case BlameReason.badReveal:
      return 'an election reveal that does not open its commitment';
    default:
      return 'a protocol violation';
  }
}
