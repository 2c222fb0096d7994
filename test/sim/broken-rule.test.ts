import { expect, it } from 'vitest';
import { formatFailure, runBatch } from './batch.ts';
import { SLICE_SEEDS, SLICE_SESSIONS } from './slice.ts';
import { runSession } from './world.ts';

/**
 * The store acknowledges the `issued` nonce marker and the member's own nonce message but loses
 * them: a member that crashes after its nonces left comes back without knowing, and issues new
 * nonces for the same attempt. The slice's seeds must catch it, and the catch must replay.
 */
it('catches a store that loses the issued-nonce marker within the CI slice, replayably', async () => {
  const summary = await runBatch({
    seed: SLICE_SEEDS[0],
    sessions: SLICE_SESSIONS,
    tier: 'small',
    brokenRule: 'forget-issued-nonces',
  });
  const failure = summary.failures[0];
  expect(failure, 'the broken rule went unnoticed').toBeDefined();
  console.log(`caught after ${summary.sessions} sessions:\n${formatFailure(failure!)}`);
  expect(failure!.violations.map((v) => v.invariant)).toContain('nonce-reuse');
  const again = await runSession({
    seed: failure!.seed,
    tier: 'small',
    brokenRule: 'forget-issued-nonces',
  });
  expect(again.violations).toEqual(failure!.violations);
  expect(again.digest).toBe(failure!.digest);
  // The same seed with the rule intact keeps every invariant.
  const intact = await runSession({ seed: failure!.seed, tier: 'small' });
  expect(intact.violations).toEqual([]);
});
