import { describe, expect, it } from 'vitest';
import { runBatch } from './batch.ts';
import { runSeed } from './prng.ts';
import { runSession } from './world.ts';
import { SLICE_SEEDS } from './slice.ts';

describe('the simulator replays a seed exactly', () => {
  it('runs the same seed twice to the same trace, outcome and digest', async () => {
    const seeds = [0, 1, 2, 3, 4, 5].map((i) => runSeed(SLICE_SEEDS[0], i));
    for (const seed of seeds) {
      const first = await runSession({ seed, tier: 'small', traceLines: 10_000 });
      const second = await runSession({ seed, tier: 'small', traceLines: 10_000 });
      expect(second.trace).toEqual(first.trace);
      expect(second.digest).toBe(first.digest);
      expect(second.outcome).toBe(first.outcome);
      expect(second.steps).toBe(first.steps);
    }
  });

  it('does not depend on what ran before it in the process (warm caches, earlier runs)', async () => {
    const seed = runSeed(SLICE_SEEDS[1], 7);
    const alone = await runSession({ seed, tier: 'small' });
    await runBatch({ seed: 99, sessions: 5, tier: 'small' });
    const after = await runSession({ seed, tier: 'small' });
    expect(after.digest).toBe(alone.digest);
  });

  it('different seeds give different runs', async () => {
    const a = await runSession({ seed: runSeed(1, 0), tier: 'small' });
    const b = await runSession({ seed: runSeed(1, 1), tier: 'small' });
    expect(a.digest).not.toBe(b.digest);
  });
});
