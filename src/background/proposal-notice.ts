/**
 * The desktop notification for a vault proposal that waits for this member: which vault, and who
 * proposes, named as everywhere else (core/wallet/roster.ts: "Alice (member 2)", or "Member 2"
 * with the start of the key when the user has not named them).
 */
import type { SessionView } from '../core/p2p/session.ts';
import { type Roster, memberWithKey } from '../core/wallet/roster.ts';

/**
 * @example
 *   proposalNotice(view, { me: 0, keys, names })
 *   // → { title: 'Household: a spend needs your approval',
 *   //     message: 'Alice (member 2) proposes 1 payment. Open Petal to review it.' }
 */
export function proposalNotice(
  view: Pick<SessionView, 'vaultLabel' | 'proposer' | 'summary'>,
  roster: Roster,
): { title: string; message: string } {
  const payments = view.summary.payments.length;
  return {
    title: `${view.vaultLabel || 'A vault'}: a spend needs your approval`,
    message:
      `${memberWithKey(view.proposer, roster)} proposes ${payments} ` +
      `payment${payments === 1 ? '' : 's'}. Open Petal to review it.`,
  };
}
