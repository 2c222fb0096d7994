import { describe, expect, it } from 'vitest';
import {
  memberName,
  memberRow,
  memberWithKey,
  membersInWords,
  policyNames,
  shortKey,
} from '../../../src/core/wallet/roster.ts';

const keys = ['02' + '11'.repeat(32), '03' + 'ab'.repeat(31) + 'cdef', '02' + '22'.repeat(32)];
const names = new Map([[keys[1] as string, 'Alice']]);
// This wallet is member 1 (index 0); Alice is member 2; member 3 has no name.
const roster = { me: 0, keys, names };

describe('member names', () => {
  it('puts the name first and the same 1-based number after it', () => {
    expect(memberName(0, roster)).toBe('You');
    expect(memberName(1, roster)).toBe('Alice (member 2)');
    expect(memberName(2, roster)).toBe('Member 3');
  });

  it('adds the short key for a member the user has not named', () => {
    expect(shortKey(keys[1] as string)).toBe('03ababab…cdef');
    expect(memberWithKey(2, roster)).toBe('Member 3 (02222222…2222)');
    expect(memberWithKey(1, roster)).toBe('Alice (member 2)');
    expect(memberWithKey(0, roster)).toBe('You');
    // No keys known: the number alone.
    expect(memberWithKey(2, { me: 0 })).toBe('Member 3');
  });

  it('gives list rows a name line and a number-and-key line', () => {
    expect(memberRow(0, roster)).toEqual({ name: 'You', detail: 'member 1 · 02111111…1111' });
    expect(memberRow(1, roster)).toEqual({ name: 'Alice', detail: 'member 2 · 03ababab…cdef' });
    expect(memberRow(2, roster)).toEqual({ name: 'Member 3', detail: '02222222…2222' });
    // Narrow tables: the number alone under a name; the key still tells unnamed members apart.
    expect(memberRow(1, roster, { withKey: false })).toEqual({ name: 'Alice', detail: 'member 2' });
    expect(memberRow(2, roster, { withKey: false }).detail).toBe('02222222…2222');
  });

  it('lists members by name once any has one, by numbers while none has', () => {
    expect(membersInWords([2, 1, 0], roster)).toBe('you, Alice (member 2) and Member 3');
    expect(membersInWords([1, 2], { me: 0, keys })).toBe('Members 2 and 3');
    expect(membersInWords([2], roster)).toBe('Member 3');
    // A name is looked up whatever the case of the key's hex.
    const upper = { me: 0, keys: keys.map((k) => k.toUpperCase()), names };
    expect(memberName(1, upper)).toBe('Alice (member 2)');
  });

  it('lists everyone who can spend, in key order, this wallet as "you"', () => {
    expect(policyNames(roster, { members: 3 })).toEqual(['you', 'Alice (member 2)', 'Member 3']);
    // A recovery key holder is no member: every member by name or number, its key "(you)".
    expect(
      policyNames({ me: -1, keys, names }, { members: 3, recoveryKeys: 1, myRecoveryKey: 0 }),
    ).toEqual(['Member 1', 'Alice (member 2)', 'Member 3', 'the recovery key (you)']);
    expect(policyNames({ me: 1 }, { members: 2, recoveryKeys: 2 })).toEqual([
      'Member 1',
      'you',
      'recovery key 1',
      'recovery key 2',
    ]);
  });
});
