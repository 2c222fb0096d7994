import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../src/core/rpc/index.ts';
import { membersInWords } from '../../src/core/wallet/roster.ts';
import {
  clockTime,
  fallbackInWords,
  pathInWords,
  phaseInWords,
} from '../../src/popup/session-words.ts';

/** 14:05 today, local time, as the popup shows it. */
const leafAfter = new Date(2030, 0, 3, 14, 5).getTime();
const before = leafAfter - 20 * 60_000;
const after = leafAfter + 60_000;

/** A 2-of-3 session proposed by Member 1 (index 0); this wallet is `me`. */
const session = (over: Partial<SessionInfo> = {}) =>
  ({
    me: 0,
    proposer: 0,
    members: 3,
    threshold: 2,
    approvals: [0, 1],
    phase: 'awaiting-approvals',
    leafAfter,
    ...over,
  }) as SessionInfo;

describe('a threshold session says which path it signs on and whom it waits for', () => {
  it('names members 1-based, this wallet as "you"', () => {
    expect(membersInWords([2], { me: 0 })).toBe('Member 3');
    expect(membersInWords([1, 0], { me: 2 })).toBe('Members 1 and 2');
    expect(membersInWords([3, 1, 2], { me: 0 })).toBe('Members 2, 3 and 4');
    expect(membersInWords([0, 1], { me: 0 })).toBe('you and Member 2');
    expect(membersInWords([1], { me: 1 })).toBe('you');
  });

  it('before the deadline: everyone on the key path, waiting for the missing member', () => {
    const s = session({ me: 1 });
    expect(pathInWords(s)).toBe('Everyone signs (key path) — waiting for Member 3');
    expect(fallbackInWords(s, before)).toBe(
      'If Member 3 has not approved by 14:05, the members who approved sign without them.',
    );
    expect(phaseInWords(s, {})).toBe('Waiting for approvals');
  });

  it('says how many more approvals a leaf needs when too few are in', () => {
    const s = session({ approvals: [0] });
    expect(pathInWords(s)).toBe('Everyone signs (key path) — waiting for Members 2 and 3');
    expect(fallbackInWords(s, before)).toBe(
      'If Members 2 and 3 have not all approved by 14:05, 2 members who approved sign without ' +
        'the rest (1 more approval needed).',
    );
    expect(fallbackInWords(s, after)).toBe(
      'Since 14:05, 2 members who approved may sign without the rest (1 more approval needed).',
    );
  });

  it('speaks to this wallet when it is the one missing, and after the deadline names who chooses', () => {
    const s = session({ me: 2, proposer: 1, approvals: [0, 1] });
    expect(pathInWords(s)).toBe('Everyone signs (key path) — waiting for you');
    expect(fallbackInWords(s, before)).toBe(
      'If you have not approved by 14:05, the members who approved sign without you.',
    );
    expect(fallbackInWords(s, after)).toBe(
      'Since 14:05, the members who approved may sign without you; waiting for Member 2 ' +
        '(proposer) to name them.',
    );
  });

  it('of 4 members with 3 approvals, 2 of them sign', () => {
    const s = session({ members: 4, approvals: [0, 1, 2], me: 3 });
    expect(fallbackInWords(s, before)).toBe(
      'If you have not approved by 14:05, 2 of the members who approved sign without you.',
    );
  });

  it('once a path is chosen: who signs and who is not needed; no deadline any more', () => {
    const s = session({ me: 1, phase: 'nonces', pathSigners: [0, 1] });
    expect(pathInWords(s)).toBe('Signing with you and Member 1 (Member 3 not needed)');
    expect(pathInWords(session({ me: 2, phase: 'signing', pathSigners: [0, 1] }))).toBe(
      'Signing with Members 1 and 2 (your signature is not needed)',
    );
    expect(pathInWords(session({ me: 2, phase: 'completed', pathSigners: [0, 1] }))).toBe(
      'Signed with Members 1 and 2 (your signature is not needed)',
    );
    expect(fallbackInWords(s, after)).toBeUndefined();
  });

  it('n-of-n sessions wait for everyone and have no deadline; a completed key path says so', () => {
    const s = session({ threshold: 3, leafAfter: undefined, approvals: [0] });
    expect(pathInWords(s)).toBe('Everyone signs — waiting for Members 2 and 3');
    expect(fallbackInWords(s, before)).toBeUndefined();
    expect(phaseInWords(s, { 'awaiting-approvals': 'Waiting for every member to approve' })).toBe(
      'Waiting for every member to approve',
    );
    expect(pathInWords(session({ phase: 'completed', approvals: [0, 1, 2] }))).toBe(
      'Signed by everyone (key path)',
    );
  });

  it('shows the day as well when the deadline is not today', () => {
    expect(clockTime(leafAfter, leafAfter - 3600_000)).toBe('14:05');
    expect(clockTime(leafAfter, leafAfter - 24 * 3600_000)).toBe('3 Jan 14:05');
  });
});
