import { describe, expect, it } from 'vitest';
import { timeLeftInWords } from '../../src/popup/time-left.ts';

const NOW = Date.UTC(2026, 2, 14, 12, 0, 0);
const MIN = 60_000;

describe('timeLeftInWords', () => {
  it('rounds an invite made minutes ago to its whole day of hours', () => {
    expect(timeLeftInWords(NOW + 24 * 60 * MIN + 3 * MIN, NOW)).toBe('in 24 hours');
    expect(timeLeftInWords(NOW + 24 * 60 * MIN - 20 * MIN, NOW)).toBe('in 24 hours');
  });

  it('says minutes under an hour and days from two days on', () => {
    expect(timeLeftInWords(NOW + 59 * MIN + 20_000, NOW)).toBe('in 59 minutes');
    expect(timeLeftInWords(NOW + MIN, NOW)).toBe('in 1 minute');
    expect(timeLeftInWords(NOW + 60 * MIN, NOW)).toBe('in 1 hour');
    expect(timeLeftInWords(NOW + 7 * 24 * 60 * MIN, NOW)).toBe('in 7 days');
  });

  it('says what is due within the minute or already past as such', () => {
    expect(timeLeftInWords(NOW + 59_000, NOW)).toBe('in less than a minute');
    expect(timeLeftInWords(NOW, NOW)).toBe('now');
    expect(timeLeftInWords(NOW - MIN, NOW)).toBe('now');
  });
});
