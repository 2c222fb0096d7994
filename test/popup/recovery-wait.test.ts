import { describe, expect, it } from 'vitest';
import { MAX_RECOVERY_BLOCKS, recoveryBlocks } from '../../src/popup/recovery-wait.ts';

describe('the recovery wait in days, weeks and months becomes 2-minute blocks', () => {
  it('converts at 720 blocks a day, a month being 30 days', () => {
    expect(recoveryBlocks('1', 'days')).toBe(720);
    expect(recoveryBlocks('2', 'weeks')).toBe(10_080);
    expect(recoveryBlocks('1', 'months')).toBe(21_600);
    expect(recoveryBlocks('0.5', 'days')).toBe(360);
  });

  it('about 91 days is the most Lotus can count; more is left for the wallet to refuse', () => {
    expect(recoveryBlocks('91', 'days')).toBeLessThanOrEqual(MAX_RECOVERY_BLOCKS);
    expect(recoveryBlocks('92', 'days')).toBeGreaterThan(MAX_RECOVERY_BLOCKS);
    expect(recoveryBlocks('6', 'months')).toBe(129_600);
  });

  it('has no answer for an empty, zero, negative or non-numeric wait', () => {
    for (const typed of ['', ' ', '0', '-1', 'soon'])
      expect(recoveryBlocks(typed, 'days')).toBeUndefined();
  });
});
