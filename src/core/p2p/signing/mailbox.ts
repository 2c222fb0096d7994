/**
 * This member's mailbox record (docs/PROTOCOL.md §3.3, §6.1): what a member who was offline needs
 * to join every open session of the vault — each proposal, this member's latest approval and the
 * proposer's path choice, once this member holds it. It lives until the last of those sessions
 * expires.
 */
import { FINISHED, type Session, type VaultEntry } from '../session.ts';

/** Without an open session the (empty) record lives an hour. */
const EMPTY_RECORD_TTL_MS = 3600_000;

export function mailboxContents(
  sessions: Iterable<Session>,
  entry: VaultEntry,
  now: number,
): { envelopes: Uint8Array[]; until: number } {
  const envelopes: Uint8Array[] = [];
  let expiresAt = 0;
  for (const session of sessions) {
    if (session.entry !== entry || FINISHED.has(session.phase)) continue;
    envelopes.push(session.proposalBytes);
    const mine = session.approvals[entry.me];
    if (mine) envelopes.push(mine);
    if (session.pathBytes) envelopes.push(session.pathBytes);
    expiresAt = Math.max(expiresAt, session.proposal.expiresAt);
  }
  return { envelopes, until: expiresAt || now + EMPTY_RECORD_TTL_MS };
}
