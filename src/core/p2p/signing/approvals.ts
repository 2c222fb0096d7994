/**
 * Approving and revoking (docs/PROTOCOL.md §6.3, §6.4): an approval binds the spend's sighashes
 * and the transport peer the member speaks from, and may carry the member's nonces for the
 * current attempt (approval-nonces.ts); an attempt starts once every signer approved.
 * A revocation withdraws it while this member's partial signature has not left. Of a member's
 * approvals and revokes the newest by envelope sequence wins, whatever order they arrive in.
 */
import type { BurnProof } from '../messages.ts';
import { type ApprovalPayload, encodeApproval, encodeNonces, encodeRevoke } from '../messages.ts';
import { MessageType } from '../envelope.ts';
import { FINISHED, type Inbound, type Session } from '../session.ts';
import { proposalTranscript } from '../transcript.ts';
import { same, signers } from './attempt.ts';
import type { Outcome, Step } from './effects.ts';
import { maybeChoosePath } from './leaf-path.ts';
import { maybeStartAttempt } from './nonce-round.ts';
import {
  approvalNonces,
  carriedNonces,
  followOffered,
  onApprovalNonces,
} from './approval-nonces.ts';
import { resendTo } from './rejoin.ts';

/**
 * Whether `inbound` (an approval or revoke) is newer than the member's last one applied. A
 * member's envelope sequence only grows, across restarts too (it is stored with each envelope),
 * so it orders approve and revoke even when a mailbox or a retry delivers them out of order.
 */
function newestConsent(session: Session, inbound: Inbound): boolean {
  return inbound.env.sequence > (session.consentSequence[inbound.env.signerIndex] ?? -1);
}

/** The checks an approval passes before its burn proof (if the vault needs one) is read. */
export function approvalAdmissible(
  session: Session,
  inbound: Inbound,
  body: ApprovalPayload,
  step: Step,
): boolean {
  if (!step.expectTranscript(inbound, proposalTranscript(session.id))) return false;
  // Older than a revoke (or approval) of the member already applied: that one stands.
  if (!newestConsent(session, inbound)) return false;
  if (inbound.from !== undefined && inbound.from !== body.peerId) {
    step.penalize(inbound.from, 'unbound-peer');
    return false;
  }
  if (!same(body.sighashDigest, session.checked.sighashDigest)) {
    step.penalize(inbound.from, 'invalid-proposal');
    return false;
  }
  return true;
}

/** An admissible approval counts: it binds the member's peer and may start the attempt. */
export function acceptApproval(
  session: Session,
  inbound: Inbound,
  body: ApprovalPayload,
  step: Step,
): Outcome {
  const signer = inbound.env.signerIndex;
  // A member approving again restarted (or revoked): what we sent it may be lost.
  const again = session.peers[signer] !== undefined;
  session.peers[signer] = body.peerId;
  session.approvals[signer] = inbound.bytes;
  session.consentSequence[signer] = inbound.env.sequence;
  step.add({ kind: 'protect-peers', session });
  const nonces = carriedNonces(inbound);
  if (nonces) {
    onApprovalNonces(session, signer, nonces, step);
    if (FINISHED.has(session.phase)) return 'done'; // they proved an equivocation
  }
  if (again) resendTo(session, signer, step);
  else {
    // A member who approves after us may have missed our approval: send it straight to them.
    const mine = session.approvals[session.entry.me];
    if (mine && !session.replaying && !session.caughtUp.has(signer)) {
      session.caughtUp.add(signer);
      step.add({ kind: 'send', session, envelope: mine, to: signer });
    }
  }
  step.changed(session);
  followOffered(session, step);
  maybeStartAttempt(session, step);
  return 'done';
}

/** This member approves, speaking from `peerId`. */
export function approve(
  session: Session,
  own: { peerId: string; burn?: BurnProof },
  step: Step,
): void {
  const { me } = session.entry;
  // Listed before the approval is sealed: the issued marker is stored with it (§6.9).
  const nonces = approvalNonces(session, step);
  const body: ApprovalPayload = {
    peerId: own.peerId,
    sighashDigest: session.checked.sighashDigest,
    ...(own.burn ? { burn: own.burn } : {}),
    ...(nonces ? { nonces } : {}),
  };
  const transcript = proposalTranscript(session.id);
  const bytes = step.seal(session, MessageType.approval, encodeApproval(body), transcript);
  session.consentSequence[me] = session.nextSequence - 1; // the sequence `seal` just used
  session.approvals[me] = bytes;
  if (nonces) session.offered[me] = { body: nonces, bytes, payloadBytes: encodeNonces(nonces) };
  session.peers[me] = own.peerId;
  step.add({ kind: 'protect-peers', session });
  step.add({ kind: 'publish', session, envelope: bytes });
  // Members already known to be online get it directly too (gossip is best effort).
  session.peers.forEach((peer, index) => {
    if (peer && index !== me) {
      session.caughtUp.add(index);
      step.add({ kind: 'send', session, envelope: bytes, to: index });
    }
  });
  step.add({ kind: 'mailbox', session });
  step.changed(session);
  followOffered(session, step);
  maybeStartAttempt(session, step);
}

/** This member withdraws its approval (the caller checked its partial has not left). */
export function revoke(session: Session, step: Step): void {
  const transcript = proposalTranscript(session.id);
  const bytes = step.seal(session, MessageType.revoke, encodeRevoke(), transcript);
  session.consentSequence[session.entry.me] = session.nextSequence - 1;
  applyRevoke(session, session.entry.me);
  step.add({ kind: 'publish', session, envelope: bytes });
  step.sendToMembers(session, bytes);
  step.add({ kind: 'mailbox', session });
  step.changed(session);
  maybeChoosePath(session, step);
}

export function onRevoke(session: Session, inbound: Inbound, step: Step): Outcome {
  if (!step.expectTranscript(inbound, proposalTranscript(session.id))) return 'done';
  // Sent before an approval that applied already: that approval stands.
  if (!newestConsent(session, inbound)) return 'done';
  session.consentSequence[inbound.env.signerIndex] = inbound.env.sequence;
  applyRevoke(session, inbound.env.signerIndex);
  step.changed(session);
  // Our deadline may have passed while every approval stood: the revoke may make room for a leaf.
  maybeChoosePath(session, step);
  return 'done';
}

export function applyRevoke(session: Session, signer: number): void {
  session.approvals[signer] = undefined;
  // The revoked approval's nonces are never used: their attempt (if not over) is abandoned, so a
  // re-approval carries fresh nonces for a later one; no attempt sees two sets from one member.
  const offered = session.offered[signer]?.body.attempt ?? 0;
  session.offered[signer] = undefined;
  if (signer === session.entry.me) session.ownOffered = undefined;
  // Only a signer's revoke touches an attempt: a threshold vault's leaf runs without the others
  // (simulator seed 174805850: a member outside the path revoked and the leaf round was dropped).
  const signs = (attempt: number) => signers(session, attempt).includes(signer);
  const round = session.round;
  const roundAbandoned = round !== undefined && !round.signed && signs(round.attempt);
  if (roundAbandoned || (!round && offered >= session.attempt && signs(offered))) {
    // The round cannot finish without this member; its nonces are abandoned, never reused.
    session.round = undefined;
    session.attempt = Math.max(session.attempt, offered) + 1;
  }
  // A leaf round (even a final one, waiting for its failover turn) goes on without the others.
  if (signs(session.round?.attempt ?? session.attempt)) session.phase = 'awaiting-approvals';
}
