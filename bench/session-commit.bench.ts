/**
 * `node bench/session-commit.bench.ts`: what one nonce-marker commit of the wallet's session store
 * (`src/background/session-db.ts`) costs in Debian Chromium's IndexedDB, beside one bare strict
 * put (the durable-write floor of bench/network-floor.ts) and the same step written by hand.
 * The page (bench/session-commit/) runs in a persistent profile on disk, as the extension's
 * IndexedDB does (an off-the-record profile keeps IndexedDB in memory and never flushes).
 * BENCH_ITERATIONS (default 200) per case, interleaved; prints median and p90, once with the
 * page's thread idle and once with it kept busy by BENCH_BUSY_MS (default 4) ms tasks, as the
 * service worker's is during a round: a commit that needs the thread between its requests waits
 * for a task to end at every hop.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM } from '../test/e2e/harness.ts';
import type { CaseTimes } from './session-commit/main.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
/** Length of the tasks that keep the page busy in the second run (a round's crypto between events). */
const BUSY_MS = Number(process.env.BENCH_BUSY_MS ?? 4);
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };

const outDir = await mkdtemp(join(tmpdir(), 'petal-bench-commit-'));
await build({
  configFile: false,
  root: resolve(import.meta.dirname, 'session-commit'),
  logLevel: 'error',
  build: { outDir, emptyOutDir: true },
  // BENCH_STORE_MODULE: another session-db module to time instead (a before/after comparison).
  ...(process.env.BENCH_STORE_MODULE
    ? {
        resolve: {
          alias: [{ find: /^.*session-db\.ts$/, replacement: process.env.BENCH_STORE_MODULE }],
        },
      }
    : {}),
});
const server = createServer(async (req, res) => {
  const path = join(outDir, req.url === '/' ? 'index.html' : (req.url ?? '').replace(/\?.*$/, ''));
  try {
    const body = await readFile(path);
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));

const profile = await mkdtemp(join(tmpdir(), 'petal-bench-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const runs: { label: string; results: CaseTimes[] }[] = [];
try {
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => 'runCommitBench' in window);
  for (const busyMs of [0, BUSY_MS]) {
    const results = await page.evaluate(
      ({ n, busyMs }) =>
        (
          window as unknown as {
            runCommitBench(n: number, busyMs: number): Promise<CaseTimes[]>;
          }
        ).runCommitBench(n, busyMs),
      { n: ITERATIONS, busyMs },
    );
    const label = busyMs ? `page thread busy with ${busyMs} ms tasks` : 'page thread idle';
    runs.push({ label, results });
  }
} finally {
  await context.close();
  server.closeAllConnections();
  server.close();
  await rm(profile, { recursive: true, force: true });
  await rm(outDir, { recursive: true, force: true });
}

const at = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
console.log(
  `IndexedDB commits in Chromium ${context.browser()?.version() ?? ''}, ${ITERATIONS} each, interleaved, ${new Date().toISOString().slice(0, 16)}Z`,
);
for (const { label, results } of runs) {
  console.log(`\n${label}`);
  console.log(`${'case'.padEnd(52)} ${'median ms'.padStart(10)} ${'p90 ms'.padStart(8)}`);
  for (const { name, times } of results) {
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `${name.padEnd(52)} ${at(sorted, 0.5).toFixed(2).padStart(10)} ${at(sorted, 0.9).toFixed(2).padStart(8)}`,
    );
  }
}
