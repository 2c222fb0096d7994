/** XPI amounts as people type and read them; 1 XPI = 1,000,000 sats, six decimals at most. */
import { AmountError, MAX_MONEY } from '../chain/index.ts';

const DECIMALS = 6;

/**
 * Parses "12", "12.5", "0.000546" (a dot or a comma as the decimal mark) into sats.
 * @throws AmountError for anything else, more than six decimals, zero or above MAX_MONEY.
 */
export function parseXpi(text: string): bigint {
  const trimmed = text.trim().replace(',', '.');
  const match = /^(\d{1,10})(?:\.(\d*))?$/.exec(trimmed) ?? /^()\.(\d+)$/.exec(trimmed);
  if (!match) throw new AmountError('Enter an amount such as 12.5');
  const [, whole = '', fraction = ''] = match;
  if (fraction.length > DECIMALS) throw new AmountError('At most 6 decimal places (1 sat)');
  const sats = BigInt(whole || '0') * 1_000_000n + BigInt(fraction.padEnd(DECIMALS, '0') || '0');
  if (sats <= 0n) throw new AmountError('The amount must be more than zero');
  if (sats > MAX_MONEY) throw new AmountError('The amount is larger than all the XPI there is');
  return sats;
}

// One formatter for every layer: the chain's errors show XPI too.
export { formatXpi } from '../chain/xpi-format.ts';
