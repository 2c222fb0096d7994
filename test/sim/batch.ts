/**
 * Many simulated sessions in a row: run i uses seed runSeed(seed, i), so any one of them can be
 * replayed alone. Tallies outcomes, injected faults by kind and known findings, and stops at the
 * first violation (or goes on, with `keepGoing`).
 */
import { runSeed } from './prng.ts';
import type { Tier } from './scenario.ts';
import { type BrokenRule, type RunResult, runSession } from './world.ts';

export interface BatchOptions {
  seed: number;
  sessions: number;
  tier?: Tier;
  brokenRule?: BrokenRule;
  strict?: boolean;
  keepGoing?: boolean;
  /** Stop starting new sessions after this much wall time (ms). */
  budgetMs?: number;
  onProgress?: (done: number, summary: BatchSummary) => void;
}

export interface BatchSummary {
  seed: number;
  tier: Tier;
  sessions: number;
  outcomes: Record<string, number>;
  faults: Record<string, number>;
  findings: Record<string, number>;
  /** Sessions where liveness was owed (and so checked). */
  livenessChecked: number;
  failures: RunResult[];
  /** Per known finding, the first run that showed it. */
  findingSeeds: Record<string, number>;
  steps: number;
  simMs: number;
  wallMs: number;
  cpuMs: number;
}

const add = (into: Record<string, number>, key: string, by = 1) => {
  into[key] = (into[key] ?? 0) + by;
};

/** What a batch keeps of one session: its tallies, and the whole result only when it failed. */
export interface SessionRecord {
  index: number;
  seed: number;
  outcome: string;
  faults: Record<string, number>;
  findings: string[];
  livenessChecked: boolean;
  steps: number;
  simMs: number;
  failure?: RunResult;
}

/** Session `index` of the batch `options` describes (seed `runSeed(seed, index)`). */
export async function runIndex(options: BatchOptions, index: number): Promise<SessionRecord> {
  const result = await runSession({
    seed: runSeed(options.seed, index),
    tier: options.tier ?? 'normal',
    ...(options.brokenRule ? { brokenRule: options.brokenRule } : {}),
    ...(options.strict ? { strict: true } : {}),
  });
  return {
    index,
    seed: result.seed,
    outcome: result.outcome,
    faults: result.faults,
    findings: result.findings,
    livenessChecked: result.livenessChecked,
    steps: result.steps,
    simMs: result.simMs,
    ...(result.violations.length > 0 ? { failure: result } : {}),
  };
}

export function emptySummary(options: BatchOptions): BatchSummary {
  return {
    seed: options.seed,
    tier: options.tier ?? 'normal',
    sessions: 0,
    outcomes: {},
    faults: {},
    findings: {},
    livenessChecked: 0,
    failures: [],
    findingSeeds: {},
    steps: 0,
    simMs: 0,
    wallMs: 0,
    cpuMs: 0,
  };
}

/** Adds one session to the summary (in index order, so "first seed" means the lowest index). */
export function tally(summary: BatchSummary, record: SessionRecord): void {
  summary.sessions++;
  summary.steps += record.steps;
  summary.simMs += record.simMs;
  if (record.livenessChecked) summary.livenessChecked++;
  add(summary.outcomes, record.outcome);
  for (const [kind, count] of Object.entries(record.faults)) add(summary.faults, kind, count);
  for (const finding of record.findings) {
    add(summary.findings, finding);
    summary.findingSeeds[finding] ??= record.seed;
  }
  if (record.failure) summary.failures.push(record.failure);
}

export async function runBatch(options: BatchOptions): Promise<BatchSummary> {
  const summary = emptySummary(options);
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < options.sessions; i++) {
    if (options.budgetMs !== undefined && performance.now() - started > options.budgetMs) break;
    const record = await runIndex(options, i);
    tally(summary, record);
    if (record.failure && !options.keepGoing) break;
    if (options.onProgress && summary.sessions % 100 === 0) {
      summary.wallMs = performance.now() - started;
      options.onProgress(summary.sessions, summary);
    }
  }
  summary.wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  summary.cpuMs = (used.user + used.system) / 1000;
  return summary;
}

/** The summary as the CLI prints it (and bench/RESULTS.md records it). */
export function formatSummary(s: BatchSummary): string {
  const table = (rows: Record<string, number>) =>
    Object.entries(rows)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `  ${String(v).padStart(9)}  ${k}`)
      .join('\n');
  const rate = s.sessions / (s.wallMs / 1000);
  return [
    `sessions: ${s.sessions} (seed ${s.seed}, tier ${s.tier}); ${s.steps} events, ${(s.simMs / 3_600_000).toFixed(1)} h simulated`,
    `time: ${(s.wallMs / 1000).toFixed(1)} s wall, ${(s.cpuMs / 1000).toFixed(1)} s CPU, ${rate.toFixed(1)} sessions/s`,
    `liveness owed and checked in ${s.livenessChecked} sessions`,
    'outcomes (honest members):',
    table(s.outcomes),
    'faults injected, by kind (runs affected, or frames for frame counts):',
    table(s.faults),
    `known findings (docs/SIMULATOR.md): ${Object.keys(s.findings).length === 0 ? 'none' : ''}`,
    ...Object.entries(s.findings).map(
      ([k, v]) =>
        `  ${String(v).padStart(9)}  ${k} (first: --replay ${s.findingSeeds[k]} --tier ${s.tier})`,
    ),
    `violations: ${s.failures.length}`,
    ...s.failures.map(
      (f) =>
        `  seed ${f.seed}: ${f.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`,
    ),
  ].join('\n');
}

/** A failure as printed: its seed, how to replay it, and the end of its trace. */
export function formatFailure(r: RunResult): string {
  return [
    `VIOLATION in seed ${r.seed} (${r.threshold}-of-${r.n}, outcome ${r.outcome}):`,
    ...r.violations.map((v) => `  ${v.invariant} at ${(v.at / 1000).toFixed(3)} s: ${v.detail}`),
    `replay: npm run sim -- --replay ${r.seed} --tier ${r.tier}${r.faults['broken rule: forget-issued-nonces'] ? ' --broken-rule forget-issued-nonces' : ''}`,
    'trace (last lines):',
    ...r.trace.map((line) => `  ${line}`),
  ].join('\n');
}
