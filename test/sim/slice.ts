/**
 * The fixed-seed CI slice: 2 × 1,000 sessions of the `small` tier (2–5 members), split in two
 * files so vitest runs them on both cores. Each half must pass every invariant, and must have
 * injected every kind of fault the simulator knows (else it proves little).
 */
import { expect } from 'vitest';
import { formatFailure, formatSummary, runBatch } from './batch.ts';

export const SLICE_SESSIONS = 1_000;
export const SLICE_SEEDS = [20_261_206, 20_261_207] as const;

/** Fault kinds every slice half must have exercised at least once. */
const MUST_INJECT = [
  'faulty network window',
  'frames dropped',
  'frames duplicated',
  'acks lost',
  'partition',
  'crash',
  'crash after a durable write',
  'clock skew',
  'user declines',
  'silent user',
  'replay-protection side mismatch',
  'hostile did: equivocation',
  'hostile did: invalid-partial',
  'hostile did: replay',
  'hostile did: flood',
];

export async function runSliceHalf(seed: number): Promise<void> {
  const summary = await runBatch({ seed, sessions: SLICE_SESSIONS, tier: 'small' });
  console.log(formatSummary(summary));
  expect(summary.failures.map(formatFailure)).toEqual([]);
  expect(summary.sessions).toBe(SLICE_SESSIONS);
  for (const kind of MUST_INJECT) expect(summary.faults[kind] ?? 0, kind).toBeGreaterThan(0);
  expect(
    Object.keys(summary.faults).some((k) => / \d-of-n$/.test(k)),
    'threshold vaults',
  ).toBe(true);
  expect(summary.outcomes['completed'] ?? 0).toBeGreaterThan(SLICE_SESSIONS / 2);
  expect(summary.livenessChecked).toBeGreaterThan(SLICE_SESSIONS / 2);
}
