/**
 * How long until a deadline, in words ("in 24 hours"), for deadlines far enough off that a clock
 * time would need a date too (an invite's expiry). Rounded to the nearest unit: an invite made a
 * minute ago still "expires in 24 hours".
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/**
 * `at` relative to `now` (both ms since epoch): "in 5 minutes", "in 24 hours", "in 3 days";
 * "in less than a minute" for what is due within the minute, "now" for what is past.
 * @example timeLeftInWords(Date.UTC(2026, 2, 15, 12, 3), Date.UTC(2026, 2, 14, 12)) // 'in 24 hours'
 */
export function timeLeftInWords(at: number, now: number): string {
  const left = at - now;
  if (left <= 0) return 'now';
  if (left < MINUTE_MS) return 'in less than a minute';
  if (left < HOUR_MS) return `in ${plural(Math.round(left / MINUTE_MS), 'minute')}`;
  if (left < 2 * DAY_MS) return `in ${plural(Math.round(left / HOUR_MS), 'hour')}`;
  return `in ${plural(Math.round(left / DAY_MS), 'day')}`;
}
