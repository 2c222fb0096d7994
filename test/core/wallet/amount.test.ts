import { describe, expect, it } from 'vitest';
import { AmountError } from '../../../src/core/chain/errors.ts';
import { formatXpi, parseXpi } from '../../../src/core/wallet/amount.ts';

describe('XPI amounts', () => {
  it('parses what people type into exact sats', () => {
    expect(parseXpi('12.5')).toBe(12_500_000n);
    expect(parseXpi(' 0,000001 ')).toBe(1n);
    expect(parseXpi('.25')).toBe(250_000n);
    expect(parseXpi('7')).toBe(7_000_000n);
    expect(parseXpi('7.')).toBe(7_000_000n);
  });

  it('refuses malformed, zero, over-precise and impossible amounts with AmountError', () => {
    for (const bad of ['', 'abc', '1.2.3', '-1', '0', '0.0000001', '1e6', '99999999999'])
      expect(() => parseXpi(bad), bad).toThrow(AmountError);
  });

  it('formats sats without trailing zeros or separators', () => {
    expect(formatXpi(12_500_000n)).toBe('12.5');
    expect(formatXpi(1n)).toBe('0.000001');
    expect(formatXpi(0n)).toBe('0');
    expect(formatXpi(-2_500_196n)).toBe('-2.500196');
  });

  it('round-trips any amount (property)', () => {
    for (let i = 0; i < 2_000; i++) {
      const sats = BigInt(Math.floor(Math.random() * 2 ** 53)) % 2_100_000_000_000_000n || 1n;
      expect(parseXpi(formatXpi(sats))).toBe(sats);
    }
  });
});
