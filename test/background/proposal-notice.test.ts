import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../src/core/p2p/session.ts';
import { proposalNotice } from '../../src/background/proposal-notice.ts';

const keys = ['02' + '11'.repeat(32), '03' + 'ab'.repeat(31) + 'cdef', '02' + '22'.repeat(32)];
const names = new Map([[keys[1] as string, 'Alice']]);
const view = (proposer: number, payments: number, vaultLabel = 'Household') =>
  ({
    vaultLabel,
    proposer,
    summary: { payments: Array.from({ length: payments }, () => ({})) },
  }) as unknown as SessionView;

describe('the notification for a proposal that waits for this member', () => {
  it('names the proposer as the user named them, with the member number', () => {
    expect(proposalNotice(view(1, 1), { me: 0, keys, names })).toEqual({
      title: 'Household: a spend needs your approval',
      message: 'Alice (member 2) proposes 1 payment. Open Petal to review it.',
    });
  });

  it('gives an unnamed proposer the start of their key, and the number alone without keys', () => {
    expect(proposalNotice(view(2, 3), { me: 0, keys, names }).message).toBe(
      'Member 3 (02222222…2222) proposes 3 payments. Open Petal to review it.',
    );
    expect(proposalNotice(view(2, 2, ''), { me: -1 })).toEqual({
      title: 'A vault: a spend needs your approval',
      message: 'Member 3 proposes 2 payments. Open Petal to review it.',
    });
  });
});
