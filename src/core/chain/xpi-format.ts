import { SATS_PER_XPI } from './transaction.ts';

/** Sats → "12.5" XPI text (no trailing zeros, no thousands separators); negative as "-12.5". */
export function formatXpi(sats: bigint): string {
  const negative = sats < 0n;
  const abs = negative ? -sats : sats;
  const whole = abs / SATS_PER_XPI;
  const fraction = (abs % SATS_PER_XPI).toString().padStart(6, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}
