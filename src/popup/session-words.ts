/**
 * How the popup names members and explains why a vault session ended, in plain words. Core names
 * members only by 0-based index in structured fields (SessionEnd's culprit, by, suspect); the
 * numbers people read, "Member 2", are made here, 1-based, and nowhere else.
 */
import type { SessionInfo } from '../core/rpc/index.ts';

export const member = (i: number, me: number) => (i === me ? 'You' : `Member ${i + 1}`);

/** Why a session ended, in plain words, naming the member at fault when the proof names one. */
export function endInWords(s: SessionInfo): string | undefined {
  const end = s.end;
  if (!end) return undefined;
  const who =
    end.culprit === undefined
      ? undefined
      : end.culprit === s.me
        ? 'Your wallet'
        : `${member(end.culprit, s.me)}’s wallet`;
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
      return `${member(end.by, s.me)} declined the spend${reason}`;
    }
    case 'expired':
      return 'The proposal expired before it was signed.';
    case 'nonce-mismatch': {
      if (end.suspect === undefined) return end.detail;
      const from = end.suspect === s.me ? 'your wallet' : member(end.suspect, s.me);
      return `Members received different nonces from ${from}.`;
    }
    default:
      return end.by === undefined ? end.detail : `${member(end.by, s.me)}: ${end.detail}`;
  }
}

/**
 * Members in plain words, 1-based as everywhere in the popup: "Member 3", "Members 1 and 2",
 * "you and Member 2" (this wallet is "you").
 */
export function membersInWords(indices: readonly number[], me: number): string {
  const sorted = [...indices].sort((a, b) => a - b);
  const others = sorted.filter((i) => i !== me).map((i) => i + 1);
  if (!sorted.includes(me)) {
    return others.length === 1 ? `Member ${others[0]}` : `Members ${andList(others.map(String))}`;
  }
  return andList(['you', ...others.map((n) => `Member ${n}`)]);
}

function andList(items: string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
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
  echo: 'Checking everyone saw the same nonces',
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
export function pathInWords(s: SessionInfo): string {
  const all = Array.from({ length: s.members }, (_, i) => i);
  const done = s.phase === 'completed';
  if (s.pathSigners) {
    const others = all.filter((i) => !s.pathSigners?.includes(i));
    const notNeeded =
      others.length === 1 && others[0] === s.me
        ? 'your signature is not needed'
        : `${membersInWords(others, s.me)} not needed`;
    return `${done ? 'Signed' : 'Signing'} with ${membersInWords(s.pathSigners, s.me)} (${notNeeded})`;
  }
  const how = isThreshold(s) ? ' (key path)' : '';
  if (done) return `Signed by everyone${how}`;
  const missing = all.filter((i) => !s.approvals.includes(i));
  if (FINISHED_PHASES.has(s.phase) || missing.length === 0) return `Everyone signs${how}`;
  return `Everyone signs${how} — waiting for ${membersInWords(missing, s.me)}`;
}

/**
 * What happens at the proposer's deadline if approvals are missing: the members who approved
 * (k of them) sign without the rest. Undefined when it does not apply (n-of-n, a path already
 * chosen, everyone approved, the session over).
 * @example
 *   "If Member 3 has not approved by 14:05, the members who approved sign without them."
 */
export function fallbackInWords(s: SessionInfo, now: number): string | undefined {
  if (s.leafAfter === undefined || s.pathSigners || FINISHED_PHASES.has(s.phase)) return undefined;
  const missing = Array.from({ length: s.members }, (_, i) => i).filter(
    (i) => !s.approvals.includes(i),
  );
  if (missing.length === 0) return undefined;
  const k = s.threshold;
  const approved = s.members - missing.length;
  const time = clockTime(s.leafAfter, now);
  const who = membersInWords(missing, s.me);
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
    const chooser = s.proposer === s.me ? 'your wallet' : `${member(s.proposer, s.me)} (proposer)`;
    return `Since ${time}, ${signers} may sign without ${who}; waiting for ${chooser} to name them.`;
  }
  return `Since ${time}, ${k} members who approved may sign without the rest (${needed}).`;
}
