import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../src/core/rpc/index.ts';
import { memberName } from '../../src/core/wallet/roster.ts';
import { endInWords } from '../../src/popup/session-words.ts';

const ended = (end: SessionInfo['end'], me = 0) => ({ me, end }) as SessionInfo;

describe('session outcomes in plain words', () => {
  it('names the member whose wallet misbehaved, and "you" for this wallet', () => {
    expect(memberName(0, { me: 0 })).toBe('You');
    expect(memberName(2, { me: 0 })).toBe('Member 3');
    expect(endInWords(ended({ reason: 'invalidPartialSig', detail: '', culprit: 1 }))).toBe(
      'Member 2’s wallet sent an invalid signature.',
    );
    expect(endInWords(ended({ reason: 'equivocation', detail: '', culprit: 0 }))).toBe(
      'Your wallet sent different nonces to different members.',
    );
    expect(endInWords(ended({ reason: 'badReveal', detail: '', culprit: 3 }))).toMatch(
      /^Member 4’s wallet cheated/,
    );
  });

  it('explains declines, expiry and anything else from the detail', () => {
    expect(endInWords(ended({ reason: 'declined', detail: 'Not this month' }))).toBe(
      'The spend was declined: Not this month',
    );
    expect(endInWords(ended({ reason: 'expired', detail: '' }))).toMatch(/expired/);
    expect(endInWords(ended({ reason: 'nonce-mismatch', detail: 'Echoes differ' }))).toBe(
      'Echoes differ',
    );
    expect(endInWords(ended(undefined))).toBeUndefined();
  });

  it('names the member who declined 1-based, as the rest of the popup does', () => {
    // Member index 1 declines; the proposer (index 0) reads "Member 2", never "Member 1".
    expect(endInWords(ended({ reason: 'declined', detail: 'Too much', by: 1 }, 0))).toBe(
      'Member 2 declined the spend: Too much',
    );
    expect(endInWords(ended({ reason: 'declined', detail: 'Too much', by: 1 }, 1))).toBe(
      'You declined the spend: Too much',
    );
    expect(endInWords(ended({ reason: 'declined', detail: '', by: 2 }, 0))).toBe(
      'Member 3 declined the spend.',
    );
  });

  it('names other members from the structured fields, never from numbers in the detail', () => {
    expect(endInWords(ended({ reason: 'equivocation', detail: 'x 3', culprit: 0 }, 1))).toBe(
      'Member 1’s wallet sent different nonces to different members.',
    );
    expect(endInWords(ended({ reason: 'policy', detail: 'Over the daily limit', by: 3 }, 0))).toBe(
      'Member 4: Over the daily limit',
    );
  });
});
