import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/core/p2p/rate-limiter.ts';
import { ReplayGuard } from '../../../src/core/p2p/replay-guard.ts';

describe('ReplayGuard', () => {
  it('drops replays but accepts reordered messages inside the window', () => {
    const guard = new ReplayGuard();
    expect([5, 7, 6, 7, 5, 8].map((seq) => guard.accept('s', 0, seq))).toEqual([
      true,
      true,
      true,
      false,
      false,
      true,
    ]);
  });

  it('keeps signers and sessions apart, refuses messages older than the window, and forgets ended sessions', () => {
    const guard = new ReplayGuard();
    expect(guard.accept('s', 0, 1)).toBe(true);
    expect(guard.accept('s', 1, 1)).toBe(true);
    expect(guard.accept('t', 0, 1)).toBe(true);
    expect(guard.accept('s', 0, 200)).toBe(true);
    expect(guard.accept('s', 0, 100)).toBe(false);
    expect(guard.accept('s', 0, 137)).toBe(true);
    guard.release('s');
    guard.release('t');
    expect(guard.size).toBe(0);
  });
});

describe('RateLimiter', () => {
  it('allows a burst, then the sustained rate, per peer', () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 5, perSecond: 2, now: () => now });
    const flood = Array.from({ length: 20 }, () => limiter.take('spammer'));
    expect(flood.filter(Boolean)).toHaveLength(5);
    expect(limiter.take('honest')).toBe(true);
    now += 1000;
    expect([limiter.take('spammer'), limiter.take('spammer'), limiter.take('spammer')]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('bounds its peer table under a flood of fresh identities', () => {
    const limiter = new RateLimiter({ burst: 1, perSecond: 1, maxPeers: 100 });
    for (let i = 0; i < 10_000; i++) limiter.take(`peer-${i}`);
    expect(limiter.size).toBe(100);
  });
});
