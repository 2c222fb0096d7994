/**
 * Aborts (docs/PROTOCOL.md §4.7, §6.4, §6.10, §6.13): a restart or timeout moves the group to the
 * next attempt, a replay-protection rejection to the other side's attempt; any other reason ends
 * the session for every member.
 */
import { MessageType } from '../envelope.ts';
import { type AbortPayload, AbortReason, encodeAbort } from '../messages.ts';
import { otherSideAttempt, signsOtherSide } from '../replay-attempts.ts';
import type { Inbound, Session } from '../session.ts';
import { attemptTranscript } from '../transcript.ts';
import type { Outcome, Step } from './effects.ts';
import { advanceTo } from './nonce-round.ts';

export function onAbort(
  session: Session,
  inbound: Inbound,
  body: AbortPayload,
  step: Step,
): Outcome {
  const next =
    body.reason === AbortReason.restarted || body.reason === AbortReason.timeout
      ? body.attempt < session.attempt
        ? undefined
        : body.attempt + 1
      : body.reason === AbortReason.otherSide
        ? body.attempt < session.attempt || signsOtherSide(body.attempt)
          ? undefined
          : otherSideAttempt(body.attempt)
        : null;
  if (next === undefined) return 'done';
  if (next !== null) {
    if (session.replaying) {
      session.round = undefined;
      session.attempt = next;
    } else advanceTo(session, next, step);
    return 'done';
  }
  const reason =
    Object.entries(AbortReason).find(([, code]) => code === body.reason)?.[0] ?? 'aborted';
  step.end(session, 'aborted', {
    reason: reason === 'user' ? 'declined' : reason,
    detail: body.detail,
    by: inbound.env.signerIndex,
  });
  return 'done';
}

/** Tells every member (and, with `publish`, the topic) why this member leaves the attempt. */
export function sendAbort(
  session: Session,
  reason: AbortReason,
  detail: string,
  publish: boolean,
  step: Step,
): void {
  const attempt = Math.max(1, session.round?.attempt ?? session.attempt);
  const bytes = step.seal(
    session,
    MessageType.abort,
    encodeAbort({ attempt, reason, detail }),
    attemptTranscript(session.id, attempt),
  );
  step.sendToMembers(session, bytes);
  if (publish) step.add({ kind: 'publish', session, envelope: bytes });
}
