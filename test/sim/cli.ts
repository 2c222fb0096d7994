/**
 * `npm run sim -- [--seed S] [--sessions N] [--tier small|normal|large] [--minutes M]
 *                 [--keep-going] [--strict] [--broken-rule forget-issued-nonces]
 *                 [--workers W] [--replay SEED [--trace-lines L]]`
 *
 * Runs N simulated signing sessions from master seed S and prints a summary; any violation
 * prints its seed, a replay command and the end of its trace. `--replay SEED` runs that one
 * session again, exactly, with its trace. `--workers W` splits the batch across W child processes
 * (workers.ts); the summary is the one a single process prints, but for the times. Exit code 1 if an invariant was violated.
 */
import { parseArgs } from 'node:util';
import { type BatchOptions, formatFailure, formatSummary, runBatch } from './batch.ts';
import type { Tier } from './scenario.ts';
import { type BrokenRule, runSession } from './world.ts';
import { runBatchInWorkers } from './workers.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    sessions: { type: 'string', default: '1000' },
    tier: { type: 'string', default: 'normal' },
    minutes: { type: 'string' },
    replay: { type: 'string' },
    'trace-lines': { type: 'string', default: '400' },
    'keep-going': { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    'broken-rule': { type: 'string' },
    workers: { type: 'string', default: '1' },
  },
});

const int = (name: string, text: string | undefined): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} needs a non-negative integer, not ${text}`);
    process.exit(2);
  }
  return n;
};
const tier = values.tier as Tier;
if (!['small', 'normal', 'large'].includes(tier)) {
  console.error(`--tier is small, normal or large, not ${tier}`);
  process.exit(2);
}

const brokenRule = values['broken-rule'] as BrokenRule | undefined;
if (brokenRule !== undefined && brokenRule !== 'forget-issued-nonces') {
  console.error(`--broken-rule knows only forget-issued-nonces, not ${brokenRule}`);
  process.exit(2);
}
const broken = brokenRule ? { brokenRule } : {};

if (values.replay !== undefined) {
  const result = await runSession({
    seed: int('replay', values.replay),
    tier,
    traceLines: int('trace-lines', values['trace-lines']),
    strict: values.strict,
    ...broken,
  });
  console.log(result.trace.join('\n'));
  console.log(
    `\nseed ${result.seed}: ${result.threshold}-of-${result.n}, outcome ${result.outcome}, ` +
      `${result.steps} events, ${(result.simMs / 1000).toFixed(1)} s simulated, digest ${result.digest}`,
  );
  console.log(`faults: ${JSON.stringify(result.faults)}`);
  if (result.findings.length > 0) console.log(`known findings: ${result.findings.join(', ')}`);
  if (result.violations.length > 0) console.log(formatFailure(result));
  process.exit(result.violations.length > 0 ? 1 : 0);
}

const workers = int('workers', values.workers);
if (workers < 1) {
  console.error('--workers needs at least 1');
  process.exit(2);
}
let reported = 0;
const batch: BatchOptions = {
  seed: int('seed', values.seed),
  sessions: int('sessions', values.sessions),
  tier,
  strict: values.strict,
  ...broken,
  keepGoing: values['keep-going'],
  ...(values.minutes !== undefined ? { budgetMs: Number(values.minutes) * 60_000 } : {}),
  onProgress: (done, s) => {
    // A long run names each violating seed as soon as it is seen, not only at the end.
    for (const failure of s.failures.slice(reported)) {
      const first = failure.violations[0];
      process.stderr.write(
        `\nviolation: seed ${failure.seed}: ${first?.invariant}: ${first?.detail}` +
          ` (--replay ${failure.seed} --tier ${tier})\n`,
      );
    }
    reported = Math.max(reported, s.failures.length);
    process.stderr.write(
      `\r${done} sessions, ${(s.wallMs / 1000).toFixed(0)} s, ${s.failures.length} violation(s)   `,
    );
  },
};
const summary = workers > 1 ? await runBatchInWorkers(batch, workers) : await runBatch(batch);
process.stderr.write('\n');
for (const failure of summary.failures) console.log(`${formatFailure(failure)}\n`);
console.log(formatSummary(summary));
process.exit(summary.failures.length > 0 ? 1 : 0);
