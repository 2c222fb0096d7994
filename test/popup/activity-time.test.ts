import { describe, expect, it } from 'vitest';
import { formatActivityTime, formatLocalTime } from '../../src/popup/activity-time.ts';

describe('activity dates', () => {
  it('shows a confirmed transaction’s block time as a local date and time', () => {
    // 2026-01-01 00:00 UTC
    expect(formatActivityTime({ confirmations: 3, time: 1_767_225_600 }, 'en-GB', 'UTC')).toBe(
      '1 Jan 2026, 00:00',
    );
    expect(
      formatActivityTime({ confirmations: 1, time: 1_767_225_600 }, 'en-US', 'America/New_York'),
    ).toBe('Dec 31, 2025, 7:00 PM');
  });

  it('says "Pending" for a transaction not yet in a block, whatever its first-seen time', () => {
    expect(formatActivityTime({ confirmations: 0, time: 1_767_225_600 }, 'en-GB', 'UTC')).toBe(
      'Pending',
    );
  });

  it('says the time is unknown rather than showing 1970', () => {
    expect(formatLocalTime(0, 'en-GB', 'UTC')).toBe('Unknown time');
    expect(formatLocalTime(Number.NaN, 'en-GB', 'UTC')).toBe('Unknown time');
  });
});
