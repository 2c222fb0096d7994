import { it } from 'vitest';
import { SLICE_SEEDS, SLICE_SESSIONS, runSliceHalf } from './slice.ts';

it(`${SLICE_SESSIONS} simulated sessions (seed ${SLICE_SEEDS[0]}) keep every invariant`, async () => {
  await runSliceHalf(SLICE_SEEDS[0]);
});
