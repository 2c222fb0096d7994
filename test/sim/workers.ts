/**
 * A batch split across child processes (`npm run sim -- --workers N`). Worker w runs the session
 * indices w, w + N, w + 2N, … with the same seeds a single process would (runSeed(seed, i)) and
 * streams one record per session back; the parent tallies them in index order, so the merged
 * summary (sessions, outcomes, faults, findings and their first seeds, violations) is the one a
 * single process gives. Without `keepGoing` the batch ends at the lowest failing index: workers
 * are told to start nothing past it, and records past it are not counted.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type BatchOptions,
  type BatchSummary,
  type SessionRecord,
  emptySummary,
  tally,
} from './batch.ts';

/** What the parent tells a worker. */
export type ToWorker =
  | { kind: 'start'; options: Omit<BatchOptions, 'onProgress'>; worker: number; workers: number }
  | { kind: 'stop'; after: number };

/** What a worker tells the parent. */
export type FromWorker =
  { kind: 'record'; record: SessionRecord } | { kind: 'done'; cpuMs: number };

const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));

export async function runBatchInWorkers(
  options: BatchOptions,
  workers: number,
): Promise<BatchSummary> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const { onProgress, ...plain } = options;
  const records: SessionRecord[] = [];
  let lowestFailure = Infinity;
  let childCpuMs = 0;
  const children: ChildProcess[] = [];
  const stopAll = (after: number) => {
    for (const child of children)
      if (child.connected) child.send({ kind: 'stop', after } satisfies ToWorker);
  };
  const runs = Array.from({ length: workers }, (_, worker) => {
    // Plain Node runs the TypeScript sources (type stripping), as `npm run sim` does.
    const child = fork(WORKER_ENTRY, [], { execArgv: [], serialization: 'advanced' });
    children.push(child);
    return new Promise<void>((resolve, reject) => {
      let done = false;
      child.on('message', (message: FromWorker) => {
        if (message.kind === 'done') {
          done = true;
          childCpuMs += message.cpuMs;
          return;
        }
        const { record } = message;
        records.push(record);
        if (record.failure && !options.keepGoing && record.index < lowestFailure) {
          lowestFailure = record.index;
          stopAll(record.index);
        }
        if (onProgress && records.length % 100 === 0) {
          const partial = emptySummary(options);
          partial.failures = records.flatMap((r) => (r.failure ? [r.failure] : []));
          partial.wallMs = performance.now() - started;
          onProgress(records.length, partial);
        }
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        done ? resolve() : reject(new Error(`sim worker ${worker} exited (${code}) before done`)),
      );
      child.send({ kind: 'start', options: plain, worker, workers } satisfies ToWorker);
    });
  });
  try {
    await Promise.all(runs);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
  const summary = emptySummary(options);
  for (const record of records.sort((a, b) => a.index - b.index)) {
    if (record.index > lowestFailure) break;
    tally(summary, record);
  }
  summary.wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  summary.cpuMs = childCpuMs + (used.user + used.system) / 1000;
  return summary;
}
