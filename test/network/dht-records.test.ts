import { describe, expect, it } from 'vitest';
import {
  InvalidRecordError,
  MAX_RECORD_PAYLOAD,
  MAX_RECORD_TTL_MS,
  decodeRecord,
  encodeRecord,
  recordKey,
  selectRecord,
  validateRecord,
} from '../../src/network/dht-records.ts';

const now = 1_800_000_000_000;
const payload = new Uint8Array([1, 2, 3]);

describe('Petal DHT records', () => {
  it('round-trips expiry and payload', () => {
    const bytes = encodeRecord({ expiresAt: now + 1000, payload });
    expect(decodeRecord(bytes)).toEqual({ expiresAt: now + 1000, payload });
  });

  it('accepts a fresh record under a /petal/ key', () => {
    expect(() =>
      validateRecord(recordKey('x'), encodeRecord({ expiresAt: now + 1, payload }), now),
    ).not.toThrow();
  });

  it('refuses foreign keys, expired, over-long-lived, oversized, truncated and unknown-version records', () => {
    const fresh = encodeRecord({ expiresAt: now + 1000, payload });
    const cases: [Uint8Array, Uint8Array][] = [
      [new TextEncoder().encode('/ipns/x'), fresh],
      [recordKey('x'.repeat(200)), fresh],
      [recordKey('x'), encodeRecord({ expiresAt: now, payload })],
      [recordKey('x'), encodeRecord({ expiresAt: now + MAX_RECORD_TTL_MS + 1, payload })],
      [recordKey('x'), fresh.subarray(0, 5)],
      [recordKey('x'), Uint8Array.of(9, ...fresh.subarray(1))],
    ];
    for (const [key, value] of cases) {
      expect(() => validateRecord(key, value, now)).toThrow(InvalidRecordError);
    }
    expect(() =>
      encodeRecord({ expiresAt: now, payload: new Uint8Array(MAX_RECORD_PAYLOAD + 1) }),
    ).toThrow(InvalidRecordError);
  });

  it('selects the longest-lived copy, ignoring garbage, deterministically on ties', () => {
    const a = encodeRecord({ expiresAt: now + 10, payload: Uint8Array.of(1) });
    const b = encodeRecord({ expiresAt: now + 20, payload: Uint8Array.of(1) });
    const c = encodeRecord({ expiresAt: now + 20, payload: Uint8Array.of(2) });
    expect(selectRecord(recordKey('k'), [a, b])).toBe(1);
    expect(selectRecord(recordKey('k'), [Uint8Array.of(0), a])).toBe(1);
    expect(selectRecord(recordKey('k'), [b, c])).toBe(selectRecord(recordKey('k'), [b, c]));
    expect(selectRecord(recordKey('k'), [c, b])).toBe(0);
    expect(selectRecord(recordKey('k'), [b, c])).toBe(1);
  });
});
