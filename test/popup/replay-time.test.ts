import { describe, expect, it } from 'vitest';
import type { ReplayView } from '../../src/core/wallet/wallet-service.ts';
import {
  ActivationTimeInputError,
  describeReplaySide,
  formatUtc,
  formatUtcInput,
  parseActivationTime,
} from '../../src/popup/replay-time.ts';

// lotusd's mainnet/regtest `secondKingsActivationTime` (chainparams.cpp:128).
const LOTUSD = 1798074180;

const problem = (text: string) => {
  const parsed = parseActivationTime(text);
  if (parsed.ok) throw new Error(`${text} parsed as ${parsed.time}`);
  expect(parsed.error).toBeInstanceOf(ActivationTimeInputError);
  expect(parsed.error.name).toBe('ActivationTimeInputError');
  return parsed.error.problem;
};

describe('activation times in UTC', () => {
  it('formats a time for reading and for the input, in UTC, seconds only when not zero', () => {
    expect(formatUtc(LOTUSD)).toBe('24 Dec 2026, 01:03 UTC');
    expect(formatUtc(LOTUSD + 7)).toBe('24 Dec 2026, 01:03:07 UTC');
    expect(formatUtcInput(LOTUSD)).toBe('2026-12-24 01:03');
    expect(formatUtcInput(1_577_836_800)).toBe('2020-01-01 00:00');
  });

  it('reads unix seconds and UTC dates, and reads back what it formats', () => {
    expect(parseActivationTime(String(LOTUSD))).toEqual({ ok: true, time: LOTUSD });
    expect(parseActivationTime(' 2026-12-24 01:03 ')).toEqual({ ok: true, time: LOTUSD });
    for (const text of ['2026-12-24T01:03:00Z', '2026-12-24 01:03 UTC', '2026-12-24 1:03'])
      expect(parseActivationTime(text)).toEqual({ ok: true, time: LOTUSD });
    for (const time of [LOTUSD, LOTUSD + 59, 1_577_836_800, 4_102_444_800])
      expect(parseActivationTime(formatUtcInput(time))).toEqual({ ok: true, time });
  });

  it('names what is wrong with a bad input', () => {
    expect(problem('')).toBe('empty');
    expect(problem('   ')).toBe('empty');
    expect(problem('next tuesday')).toBe('format');
    expect(problem('24/12/2026 01:03')).toBe('format');
    expect(problem('2026-12-24')).toBe('format');
    expect(problem('-1798074180')).toBe('format');
    expect(problem('2026-02-31 00:00')).toBe('no-such-date');
    expect(problem('2026-12-24 24:00')).toBe('no-such-date');
    expect(problem('2026-12-24 01:60')).toBe('no-such-date');
    expect(problem('1798074180000')).toBe('milliseconds');
    expect(problem('1577836799')).toBe('range');
    expect(problem('4102444801')).toBe('range');
    expect(problem('2101-01-01 00:00')).toBe('range');
    expect(problem('0')).toBe('range');
  });
});

describe('the replay-protection side in plain words', () => {
  const view = (over: Partial<ReplayView>): ReplayView => ({
    active: false,
    activationTime: LOTUSD,
    overridden: false,
    medianTime: LOTUSD - 86_400,
    learned: {},
    ...over,
  });

  it('says off until, or on since, the activation time, and whose time it is', () => {
    const before = describeReplaySide(view({}), LOTUSD);
    expect(before.headline).toBe('Off until 24 Dec 2026, 01:03 UTC');
    expect(before.source).toBe("lotusd's default");
    expect(before.confirmation).toMatch(/^Not confirmed by the network yet/);

    const mine = 1_700_000_000;
    const after = describeReplaySide(
      view({ active: true, activationTime: mine, overridden: true, medianTime: LOTUSD }),
      LOTUSD,
    );
    expect(after.headline).toBe('On since 14 Nov 2023, 22:13:20 UTC');
    expect(after.source).toBe("Your setting (lotusd's is 24 Dec 2026, 01:03 UTC)");
  });

  it('says the network confirmed the side when an accepted payment backs it', () => {
    const on = describeReplaySide(
      view({ active: true, medianTime: LOTUSD + 100, learned: { onAt: LOTUSD + 50 } }),
      LOTUSD,
    );
    expect(on.headline).toBe('On since 24 Dec 2026, 01:03 UTC');
    expect(on.confirmation).toBe(
      'Confirmed by the network: it accepted a replay-protected payment at chain time 24 Dec 2026, 01:03:50 UTC.',
    );
    const off = describeReplaySide(
      view({ medianTime: LOTUSD - 100, learned: { offAt: LOTUSD - 60 } }),
      LOTUSD,
    );
    expect(off.confirmation).toMatch(/^Confirmed by the network: .* without replay protection/);
  });

  it('names the accepted payment, not the setting, when the network switched at another time', () => {
    const early = describeReplaySide(
      view({ active: true, medianTime: LOTUSD - 3600, learned: { onAt: LOTUSD - 7200 } }),
      LOTUSD,
    );
    expect(early.headline).toBe('On since 23 Dec 2026, 23:03 UTC or earlier');
    expect(early.confirmation).toMatch(/^Confirmed by the network/);
    const late = describeReplaySide(
      view({ active: false, medianTime: LOTUSD + 3600, learned: { offAt: LOTUSD + 7200 } }),
      LOTUSD,
    );
    expect(late.headline).toBe('Off until after 24 Dec 2026, 03:03 UTC');
  });
});
