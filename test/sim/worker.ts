/**
 * One child process of a split batch (workers.ts): runs its share of the session indices, in
 * increasing order, and sends a record for each. A 'stop' names the lowest failing index seen by
 * any worker; indices past it are not started, the ones before it all run (the merged summary
 * needs every session up to the failure).
 */
import { type BatchOptions, runIndex } from './batch.ts';
import type { FromWorker, ToWorker } from './workers.ts';

let stopAfter = Infinity;

const send = (message: FromWorker) =>
  new Promise<void>((resolve, reject) =>
    process.send?.(message, undefined, undefined, (err) => (err ? reject(err) : resolve())),
  );

async function run(options: Omit<BatchOptions, 'onProgress'>, worker: number, workers: number) {
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = worker; i < options.sessions && i <= stopAfter; i += workers) {
    if (options.budgetMs !== undefined && performance.now() - started > options.budgetMs) break;
    const record = await runIndex(options, i);
    await send({ kind: 'record', record });
    if (record.failure && !options.keepGoing) break;
  }
  const used = process.cpuUsage(cpu);
  await send({ kind: 'done', cpuMs: (used.user + used.system) / 1000 });
  // Ends the process even if a session left something scheduled (the message was flushed).
  process.exit(0);
}

process.on('message', (message: ToWorker) => {
  if (message.kind === 'stop') stopAfter = Math.min(stopAfter, message.after);
  else void run(message.options, message.worker, message.workers);
});
