/**
 * The recovery wait as people say it ("about 4 weeks") and as Lotus counts it (blocks). A CSV
 * relative lock counts blocks, not time, so the popup converts at the 2-minute target spacing and
 * says "about": real blocks drift with hash rate.
 */

/** Lotus's target: one block every 2 minutes, 30 an hour (lotusd nPowTargetSpacing = 120 s). */
export const BLOCKS_PER_DAY = 720;
/** A height-based BIP68 lock holds at most 65,535 blocks: about 91 days. */
export const MAX_RECOVERY_BLOCKS = 65_535;

export type WaitUnit = 'days' | 'weeks' | 'months';

const DAYS: Record<WaitUnit, number> = { days: 1, weeks: 7, months: 30 };

/**
 * Blocks for "after about `amount` `unit`" (a month counts 30 days), or undefined when the amount
 * is not a positive number. Values over MAX_RECOVERY_BLOCKS are returned as they are: the
 * background refuses them with the limit in words.
 * @example
 *   recoveryBlocks('1', 'months'); // 21_600
 *   recoveryBlocks('2', 'weeks'); // 10_080
 */
export function recoveryBlocks(amount: string, unit: WaitUnit): number | undefined {
  const value = Number(amount.trim());
  if (!amount.trim() || !Number.isFinite(value) || value <= 0) return undefined;
  return Math.max(1, Math.round(value * DAYS[unit] * BLOCKS_PER_DAY));
}
