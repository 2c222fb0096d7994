import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../src/core/rpc/index.ts';
import { endInWords, member } from '../../src/popup/session-words.ts';

const ended = (end: SessionInfo['end'], me = 0) => ({ me, end }) as SessionInfo;

describe('session outcomes in plain words', () => {
  it('names the member whose wallet misbehaved, and "you" for this wallet', () => {
    expect(member(0, 0)).toBe('You');
    expect(member(2, 0)).toBe('Member 3');
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
});
