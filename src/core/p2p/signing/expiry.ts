/**
 * Expiry (docs/PROTOCOL.md §6.9, §6.11): a proposal is open until the `expiresAt` its proposer
 * set (at most 7 days after it was made); past it, the session ends for this member wherever
 * it stood, and a user can no longer approve, revoke or decline it.
 */
import type { Session } from '../session.ts';
import type { Step } from './effects.ts';

export function expired(session: Session, now: number): boolean {
  return session.proposal.expiresAt <= now;
}

/** Ends the session if its proposal expired (the periodic sweep asks every open session). */
export function expireIfDue(session: Session, step: Step): void {
  if (expired(session, step.now))
    step.end(session, 'expired', { reason: 'expired', detail: 'The proposal expired' });
}
