/**
 * Restart and resumption (docs/PROTOCOL.md §6.10): a session is rebuilt from its stored public
 * transcript. An attempt whose nonces left but whose partial signature did not is abandoned (the
 * secret nonces died with the process, whether they left in a nonces message or with our
 * approval) and the group moves to a fresh attempt; a partial that left is resent, with the
 * nonces it was made with. The member re-approves so the others bind
 * its (possibly new) peer.
 */
import { MessageType, openEnvelope } from '../envelope.ts';
import { AbortReason, type BurnProof } from '../messages.ts';
import { otherSideAttempt } from '../replay-attempts.ts';
import { replacingPath } from '../signing-path.ts';
import type { NonceMarker } from '../session-store.ts';
import { type Inbound, type Session, newAttempt } from '../session.ts';
import { applyRevoke, approve } from './approvals.ts';
import { sendAbort } from './aborts.ts';
import type { Step } from './effects.ts';
import { scheduleLeafDeadline } from './leaf-path.ts';
import { afterNonce, joinOffered } from './nonce-round.ts';
import { carriedNonces } from './approval-nonces.ts';

/** Our own stored envelope, re-applied without re-sending or re-signing anything. */
export function replayOwn(session: Session, inbound: Inbound, peerId: string): void {
  const { payload, bytes } = inbound;
  const me = session.entry.me;
  const round = () => {
    if (!session.round) session.round = newAttempt(session.attempt, session.approvals.length);
    return session.round;
  };
  const moveTo = (attempt: number) => {
    session.attempt = attempt;
    session.round = undefined;
  };
  switch (payload.type) {
    case MessageType.approval: {
      session.approvals[me] = bytes;
      session.peers[me] = peerId;
      session.consentSequence[me] = inbound.env.sequence;
      const nonces = carriedNonces(inbound);
      if (!nonces || nonces.body.attempt < session.attempt) break;
      // Our nonces rode with it, for the attempt we were at (they join its round on resume).
      if (nonces.body.attempt > session.attempt) moveTo(nonces.body.attempt);
      session.offered[me] = nonces;
      break;
    }
    case MessageType.revoke:
      session.consentSequence[me] = inbound.env.sequence;
      applyRevoke(session, me);
      break;
    case MessageType.nonces:
      if (payload.body.attempt > session.attempt) moveTo(payload.body.attempt);
      round().nonces[me] = { body: payload.body, bytes, payloadBytes: inbound.env.payload };
      break;
    case MessageType.nonceDisclosure:
      round().disclosed = true;
      break;
    case MessageType.partialSigs:
      round().partials[me] = { body: payload.body, bytes, payloadBytes: inbound.env.payload };
      round().signed = true;
      session.signedAttempts.add(payload.body.attempt);
      break;
    case MessageType.path:
      session.path = replacingPath(session.path, payload.body);
      session.pathBytes = bytes;
      if (payload.body.attempt > session.attempt) moveTo(payload.body.attempt);
      break;
    case MessageType.abort:
      if (payload.body.reason === AbortReason.restarted) moveTo(payload.body.attempt + 1);
      else if (payload.body.reason === AbortReason.otherSide)
        moveTo(otherSideAttempt(payload.body.attempt));
      break;
    default:
      break;
  }
}

/**
 * Decides how a replayed session goes on, given the nonce markers on record. 'signed': our
 * partial of this attempt had left and was resent; 'awaiting': the session waits for approvals
 * (messages set aside while replaying may now apply).
 */
export function resume(
  session: Session,
  markers: NonceMarker[],
  own: { peerId: string; burn?: BurnProof },
  step: Step,
): 'signed' | 'awaiting' {
  const { me } = session.entry;
  const attempt = session.attempt;
  const issued = markers.some((m) => m.attempt === attempt && m.stage === 'issued');
  // Our path choice is stored before it is sent: a crash in between leaves us alone on the path
  // while the others sign the key path. Send it again first, ahead of any abort (§6.14).
  if (session.pathBytes && session.proposer === me) {
    step.sendToMembers(session, session.pathBytes);
    step.add({ kind: 'publish', session, envelope: session.pathBytes });
  }
  const round = session.round;
  const ourPartials = round?.partials[me];
  // Our own partial signature of this attempt left already: resend it and carry on.
  if (round && ourPartials) {
    // Re-announce our approval first: it rebinds our (possibly new) peer id, without which the
    // others set the re-sent round messages aside (§5.4). The round stands, so none starts.
    if (session.approvals[me]) approve(session, own, step);
    // Our nonces too: without an echo round nothing says they reached everyone before we signed
    // (nonces that rode with our approval ride with the re-approval, the same again).
    const ourNonces = round.nonces[me];
    if (ourNonces && openEnvelope(ourNonces.bytes).type === MessageType.nonces)
      step.sendToMembers(session, ourNonces.bytes);
    step.sendToMembers(session, ourPartials.bytes);
    // The nonces approvals carried (ours too), then the nonce set if replay left it open; then
    // aggregation once every partial is in (messages set aside while replaying follow).
    joinOffered(session, step);
    afterNonce(session, step);
    return 'signed';
  }
  if (issued || round?.nonces[me] || session.offered[me]?.body.attempt === attempt) {
    // Nonces of this attempt may have left, and their secrets are gone: abandon the attempt.
    sendAbort(session, AbortReason.restarted, 'Restarted between rounds', false, step);
    session.attempt = attempt + 1;
  }
  session.round = undefined;
  session.ownOffered = undefined;
  session.phase = 'awaiting-approvals';
  scheduleLeafDeadline(session, step);
  // Re-announce our approval so members bind our (possibly new) peer id.
  if (session.approvals[me]) {
    session.approvals[me] = undefined;
    approve(session, own, step);
  } else step.changed(session);
  return 'awaiting';
}
