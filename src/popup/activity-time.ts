/**
 * When a transaction happened, as the Activity list and the detail screen show it: the block's
 * time (or first seen) in the user's own time zone, or "Pending" while it waits for a block.
 * Unlike replay-time.ts (UTC, compared with lotusd's release notes), this is for people reading
 * their own history, so it is local.
 */

export interface Dated {
  confirmations: number;
  /** Epoch seconds: block time, or first seen while unconfirmed. */
  time: number;
}

/**
 * The date and time of a confirmed transaction, or "Pending".
 * `locale` and `timeZone` default to the browser's; tests pin them.
 * @example formatActivityTime({ confirmations: 3, time: 1767225600 }, 'en-GB', 'UTC')
 *   // '1 Jan 2026, 00:00'
 */
export function formatActivityTime(entry: Dated, locale?: string, timeZone?: string): string {
  if (entry.confirmations === 0) return 'Pending';
  return formatLocalTime(entry.time, locale, timeZone);
}

/** Epoch seconds as a medium date and short time; "Unknown time" for 0 or a non-number. */
export function formatLocalTime(seconds: number, locale?: string, timeZone?: string): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return 'Unknown time';
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(seconds * 1000));
}
