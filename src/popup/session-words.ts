/**
 * How the popup explains a vault session in plain words: why it ended, which path it signs on,
 * whom it waits for. Members are named by core/wallet/roster.ts (the user's name, then the 1-based
 * member number); core names them only by 0-based index in structured fields (SessionEnd's
 * culprit, by).
 */
import type { SessionInfo } from '../core/rpc/index.ts';
import { type Roster, memberName, membersInWords } from '../core/wallet/roster.ts';

/** The session's members as the user knows them: its keys and this wallet's contact names. */
export const rosterOf = (s: SessionInfo, names?: ReadonlyMap<string, string>): Roster => ({
  me: s.me,
  ...(s.memberKeys ? { keys: s.memberKeys } : {}),
  ...(names ? { names } : {}),
});

/** Why a session ended, in plain words, naming the member at fault when the proof names one. */
export function endInWords(
  s: SessionInfo,
  names?: ReadonlyMap<string, string>,
): string | undefined {
  const end = s.end;
  if (!end) return undefined;
  const roster = rosterOf(s, names);
  const member = (i: number) => memberName(i, roster);
  const who =
    end.culprit === undefined
      ? undefined
      : end.culprit === s.me
        ? 'Your wallet'
        : `${member(end.culprit)}’s wallet`;
  switch (end.reason) {
    case 'invalidPartialSig':
      return `${who ?? 'A wallet'} sent an invalid signature.`;
    case 'invalidNonce':
      return `${who ?? 'A wallet'} sent an invalid nonce.`;
    case 'equivocation':
      return `${who ?? 'A wallet'} sent different nonces to different members.`;
    case 'badReveal':
      return `${who ?? 'A wallet'} cheated in the broadcaster election.`;
    case 'declined': {
      const reason = end.detail ? `: ${end.detail}` : '.';
      if (end.by === undefined) return `The spend was declined${reason}`;
      return `${member(end.by)} declined the spend${reason}`;
    }
    case 'expired':
      return 'The proposal expired before it was signed.';
    default:
      return end.by === undefined ? end.detail : `${member(end.by)}: ${end.detail}`;
  }
}

const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');

/** A local wall-clock time, "14:05", with the day ("3 Jan 14:05") when it is not today. */
export function clockTime(ms: number, now: number): string {
  const at = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  return at.toDateString() === new Date(now).toDateString()
    ? time
    : `${at.getDate()} ${MONTHS[at.getMonth()]} ${time}`;
}

/** A session's phase in words, for its badge. */
export const PHASES: Record<string, string> = {
  'awaiting-approvals': 'Waiting for every member to approve',
  nonces: 'Exchanging nonces',
  signing: 'Collecting partial signatures',
  broadcasting: 'Broadcasting',
  completed: 'Completed',
  aborted: 'Ended',
  failed: 'Failed',
  expired: 'Expired',
};

const FINISHED_PHASES = new Set(['completed', 'aborted', 'failed', 'expired']);

/** A threshold vault (fewer signers than members) lets a session fall back to a leaf. */
export const isThreshold = (s: SessionInfo) =>
  s.leafAfter !== undefined || (s.threshold !== undefined && s.threshold < s.members);

/** The phase badge: threshold vaults do not wait for every member. */
export function phaseInWords(s: SessionInfo, phases: Record<string, string>): string {
  if (s.phase === 'awaiting-approvals' && isThreshold(s)) return 'Waiting for approvals';
  return phases[s.phase] ?? s.phase;
}

/**
 * Which way the session signs and whom it waits for (docs/PROTOCOL.md §6.14): every member on the
 * key path until the proposer names k approvers, then those k through their leaf.
 * @example
 *   "Everyone signs (key path) — waiting for Member 3"
 *   "Signing with Members 1 and 2 (Member 3 not needed)"
 */
export function pathInWords(s: SessionInfo, names?: ReadonlyMap<string, string>): string {
  const roster = rosterOf(s, names);
  const all = Array.from({ length: s.members }, (_, i) => i);
  const done = s.phase === 'completed';
  if (s.pathSigners) {
    const others = all.filter((i) => !s.pathSigners?.includes(i));
    const notNeeded =
      others.length === 1 && others[0] === s.me
        ? 'your signature is not needed'
        : `${membersInWords(others, roster)} not needed`;
    return `${done ? 'Signed' : 'Signing'} with ${membersInWords(s.pathSigners, roster)} (${notNeeded})`;
  }
  const how = isThreshold(s) ? ' (key path)' : '';
  if (done) return `Signed by everyone${how}`;
  const missing = all.filter((i) => !s.approvals.includes(i));
  if (FINISHED_PHASES.has(s.phase) || missing.length === 0) return `Everyone signs${how}`;
  return `Everyone signs${how} — waiting for ${membersInWords(missing, roster)}`;
}

/**
 * What happens at the proposer's deadline if approvals are missing: the members who approved
 * (k of them) sign without the rest. Undefined when it does not apply (n-of-n, a path already
 * chosen, everyone approved, the session over).
 * @example
 *   "If Member 3 has not approved by 14:05, the members who approved sign without them."
 */
export function fallbackInWords(
  s: SessionInfo,
  now: number,
  names?: ReadonlyMap<string, string>,
): string | undefined {
  if (s.leafAfter === undefined || s.pathSigners || FINISHED_PHASES.has(s.phase)) return undefined;
  const missing = Array.from({ length: s.members }, (_, i) => i).filter(
    (i) => !s.approvals.includes(i),
  );
  if (missing.length === 0) return undefined;
  const k = s.threshold;
  const approved = s.members - missing.length;
  const time = clockTime(s.leafAfter, now);
  const roster = rosterOf(s, names);
  const who = membersInWords(missing, roster);
  const signers =
    k === undefined || approved === k
      ? 'the members who approved'
      : `${k} of the members who approved`;
  const more = k === undefined ? 0 : k - approved;
  const needed = `${more} more ${more === 1 ? 'approval' : 'approvals'} needed`;
  if (now < s.leafAfter) {
    const has = missing.length === 1 && missing[0] !== s.me ? 'has' : 'have';
    const them = missing.length === 1 && missing[0] === s.me ? 'you' : 'them';
    if (more <= 0)
      return `If ${who} ${has} not approved by ${time}, ${signers} sign without ${them}.`;
    return (
      `If ${who} ${has} not all approved by ${time}, ${k} members who approved sign without ` +
      `the rest (${needed}).`
    );
  }
  if (more <= 0) {
    const chooser =
      s.proposer === s.me ? 'your wallet' : `${memberName(s.proposer, roster)} (proposer)`;
    return `Since ${time}, ${signers} may sign without ${who}; waiting for ${chooser} to name them.`;
  }
  return `Since ${time}, ${k} members who approved may sign without the rest (${needed}).`;
}
