import { afterEach, describe, expect, it, vi } from 'vitest';
import { createKeepAlive } from '../../src/background/keep-alive.ts';

describe('service-worker keep-alive', () => {
  afterEach(() => vi.useRealTimers());

  it('pings only while a session is open, and stops when the last one ends', () => {
    vi.useFakeTimers();
    let pings = 0;
    const keepAlive = createKeepAlive(async () => pings++, 20_000);
    vi.advanceTimersByTime(60_000);
    expect(pings).toBe(0);
    keepAlive.update(['session-a']);
    keepAlive.update(['session-a', 'session-b']); // no second timer
    vi.advanceTimersByTime(60_000);
    expect(pings).toBe(3);
    keepAlive.update(['session-b']);
    vi.advanceTimersByTime(20_000);
    expect(pings).toBe(4);
    keepAlive.update([]);
    expect(keepAlive.holding).toBe(false);
    vi.advanceTimersByTime(100_000);
    expect(pings).toBe(4);
  });

  it('survives a failing ping', () => {
    vi.useFakeTimers();
    const keepAlive = createKeepAlive(() => Promise.reject(new Error('context invalidated')), 10);
    keepAlive.update(['s']);
    vi.advanceTimersByTime(50);
    expect(keepAlive.holding).toBe(true);
    keepAlive.update([]);
  });
});
