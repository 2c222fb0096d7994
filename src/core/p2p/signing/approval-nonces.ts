/**
 * Nonces that ride with an approval (docs/PROTOCOL.md §6.3, §6.5): a member that signs the
 * session's current attempt as it stands puts its public nonces for it in its approval, so the last
 * approval completes the nonce round and no nonces message is needed. Receivers treat them
 * exactly as that attempt's nonces message: same checks, same digest, same blame evidence.
 */
import { MessageType } from '../envelope.ts';
import { BlameReason, type NoncesPayload, encodeNonces } from '../messages.ts';
import type { Inbound, Received, Session } from '../session.ts';
import { ready, same, signers } from './attempt.ts';
import { blame } from './blame-rules.ts';
import type { Step } from './effects.ts';
import { advanceTo, afterNonce, issueNonces, takeNonces } from './nonce-round.ts';

/** The nonces an approval envelope carries, as a nonces message would hold them. */
export function carriedNonces(inbound: Inbound): Received<NoncesPayload> | undefined {
  const { payload } = inbound;
  if (payload.type !== MessageType.approval || !payload.body.nonces) return undefined;
  const body = payload.body.nonces;
  return { body, bytes: inbound.bytes, payloadBytes: encodeNonces(body) };
}

/**
 * Whether this member signs `attempt` as far as anyone can know now: every member signs a
 * key-path attempt (an n-of-n vault's, or a threshold vault's before the proposer names a path),
 * and only the named members sign once a path covers it (§6.14). Nonces are fresh random points
 * bound to no key: if a path later turns this very attempt into a leaf that names us, every
 * member holds the same carried set and the round uses it there; if it leaves us out, or moves
 * to a later attempt, the nonces are dropped unused, as any abandoned attempt's are.
 */
function signsNow(session: Session, attempt: number): boolean {
  return signers(session, attempt).includes(session.entry.me);
}

/**
 * The nonces our approval carries: the ones we sent for the current attempt already, the same
 * again (a re-approval after a restart); else fresh ones, stored as issued with the approval,
 * when we sign the attempt as it stands; else none (a nonces message follows if we sign later).
 */
export function approvalNonces(session: Session, step: Step): NoncesPayload | undefined {
  const { me } = session.entry;
  const attempt = session.attempt;
  const round = session.round;
  // (After a restart the round rebuilt from our partial may not hold them yet: the approval does.)
  const sent = (round?.attempt === attempt ? round.nonces[me] : undefined) ?? session.offered[me];
  if (sent?.body.attempt === attempt) return sent.body;
  if (round || session.replaying || !signsNow(session, attempt)) return undefined;
  const own = issueNonces(session, attempt, step);
  session.ownOffered = own;
  return { attempt, electionCommit: own.commit, pubNonces: own.pubNonces };
}

/**
 * A member's approval carried nonces for `received.body.attempt`. Another set for the same
 * attempt is equivocation; a set for the running round joins it; one for a later attempt is
 * kept for that attempt (and the group followed there once everyone approved).
 */
export function onApprovalNonces(
  session: Session,
  signer: number,
  received: Received<NoncesPayload>,
  step: Step,
): void {
  const attempt = received.body.attempt;
  if (attempt < session.attempt) return; // stale: the group moved on
  const round = session.round;
  const earlier =
    (round?.attempt === attempt ? round.nonces[signer] : undefined) ??
    (session.offered[signer]?.body.attempt === attempt ? session.offered[signer] : undefined);
  if (earlier && !same(earlier.payloadBytes, received.payloadBytes)) {
    blame(
      session,
      signer,
      BlameReason.equivocation,
      [earlier.bytes, received.bytes],
      step,
      attempt,
    );
    return;
  }
  session.offered[signer] = received;
  if (round?.attempt === attempt && signers(session, attempt).includes(signer)) {
    takeNonces(session, signer, received, step);
    afterNonce(session, step);
  }
}

/**
 * Like a nonces message for a later attempt (§6.5): once every signer of that attempt approved,
 * a member follows the group to the latest attempt an approval's nonces name.
 */
export function followOffered(session: Session, step: Step): void {
  if (session.replaying) return;
  const { me } = session.entry;
  let target = session.attempt;
  session.offered.forEach((offered, signer) => {
    const attempt = offered?.body.attempt ?? 0;
    if (attempt <= target) return;
    const list = signers(session, attempt);
    if (list.includes(signer) && list.includes(me) && ready(session, attempt)) target = attempt;
  });
  if (target > session.attempt) advanceTo(session, target, step);
}
