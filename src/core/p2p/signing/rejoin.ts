/**
 * A member that approves again has restarted (docs/PROTOCOL.md §6.10) or revoked and re-approved.
 * A restarted member's old process may have acknowledged messages it never stored, and its
 * resumption drops the round it abandons; nobody's retries cover those, since they ended when the
 * frames were acknowledged. So each member answers a repeated approval by sending that member,
 * once, its own part of the session again: its approval, its path choice and its messages of the
 * current attempt. Duplicates are dropped by the receiver's replay window.
 */
import type { Session } from '../session.ts';
import type { Step } from './effects.ts';

export function resendTo(session: Session, member: number, step: Step): void {
  if (session.replaying || member === session.entry.me) return;
  const me = session.entry.me;
  const round = session.round;
  // Our nonces may be our approval itself (they rode with it): each envelope once.
  const own = new Set([
    session.approvals[me],
    session.pathBytes,
    round?.nonces[me]?.bytes,
    round?.partials[me]?.bytes,
  ]);
  for (const envelope of own)
    if (envelope) step.add({ kind: 'send', session, envelope, to: member });
  session.caughtUp.add(member);
}
