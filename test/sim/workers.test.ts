import { describe, expect, it } from 'vitest';
import { type BatchSummary, runBatch } from './batch.ts';
import { runBatchInWorkers } from './workers.ts';

/** A summary without what depends on the machine (times) and with failures as their seeds. */
const content = (s: BatchSummary) => ({
  ...s,
  wallMs: 0,
  cpuMs: 0,
  failures: s.failures.map((f) => [f.seed, f.violations]),
});

describe('a batch split across worker processes', () => {
  it('gives the summary one process gives for the same seed and sessions', async () => {
    const options = { seed: 20_261_208, sessions: 40, tier: 'small' as const, keepGoing: true };
    const alone = await runBatch(options);
    const split = await runBatchInWorkers(options, 2);
    expect(split.sessions).toBe(40);
    expect(content(split)).toEqual(content(alone));
  });
});
