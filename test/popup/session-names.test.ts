import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../src/core/rpc/index.ts';
import { endInWords, fallbackInWords, pathInWords } from '../../src/popup/session-words.ts';

const keys = ['02' + '11'.repeat(32), '03' + 'ab'.repeat(31) + 'cdef', '02' + '22'.repeat(32)];
const names = new Map([[keys[1] as string, 'Alice']]);
// This wallet is member 1 (index 0); Alice is member 2; member 3 has no name.

describe('members by name in session sentences', () => {
  it('names members in session sentences: declines, blame, waiting, deadlines', () => {
    const s = {
      me: 0,
      proposer: 0,
      members: 3,
      threshold: 2,
      approvals: [0],
      phase: 'awaiting-approvals',
      leafAfter: new Date(2030, 0, 3, 14, 5).getTime(),
      memberKeys: keys,
    } as SessionInfo;
    expect(
      endInWords({ ...s, end: { reason: 'declined', detail: 'Too much', by: 1 } }, names),
    ).toBe('Alice (member 2) declined the spend: Too much');
    expect(
      endInWords({ ...s, end: { reason: 'invalidPartialSig', detail: '', culprit: 1 } }, names),
    ).toBe('Alice (member 2)’s wallet sent an invalid signature.');
    expect(endInWords({ ...s, end: { reason: 'declined', detail: '', by: 2 } }, names)).toBe(
      'Member 3 declined the spend.',
    );
    expect(pathInWords(s, names)).toBe(
      'Everyone signs (key path) — waiting for Alice (member 2) and Member 3',
    );
    expect(
      fallbackInWords({ ...s, me: 2, proposer: 1, approvals: [0, 1] }, s.leafAfter! + 1, names),
    ).toBe(
      'Since 14:05, the members who approved may sign without you; waiting for Alice (member 2) ' +
        '(proposer) to name them.',
    );
  });
});
