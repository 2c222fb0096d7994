/**
 * `npm run bench:crypto:browser`: builds bench/browser with Vite, serves it on 127.0.0.1 and runs
 * the crypto cases inside headless Debian Chromium (the extension's real engine), Petal and xpi-ts
 * side by side in one page, then prints ops/s, the ratio, and Petal's ops/s in Node for scale.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { measure, petalCases } from '../bench/crypto-cases.ts';
import { CHROMIUM } from '../test/e2e/harness.ts';

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 400);
const outDir = mkdtempSync(join(tmpdir(), 'petal-bench-'));
await build({
  configFile: false,
  root: resolve('bench/browser'),
  logLevel: 'warn',
  build: { outDir, emptyOutDir: true },
});

const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
const server = createServer(async (req, res) => {
  const path = join(outDir, req.url === '/' ? 'index.html' : (req.url ?? '').replace(/\?.*$/, ''));
  let body: Buffer;
  try {
    body = await readFile(path);
  } catch {
    res.writeHead(404).end();
    return;
  }
  res
    .writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' })
    .end(body);
});
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const page = await browser.newPage();
await page.goto(url);
await page.waitForFunction(() => 'runBench' in window);
const inBrowser = (await page.evaluate(
  (ms) =>
    (
      window as unknown as {
        runBench(m: number): Promise<{ op: string; petal: number; xpi: number }[]>;
      }
    ).runBench(ms),
  MIN_MS,
)) as { op: string; petal: number; xpi: number }[];
await browser.close();
server.close();

console.log(
  `Petal vs xpi-ts 0.3.1 in Chromium ${browser.version()}; Petal in Node ${process.version}; ${new Date().toISOString().slice(0, 10)}`,
);
console.log(
  `${'operation'.padEnd(22)} ${'Petal op/s'.padStart(11)} ${'xpi-ts op/s'.padStart(11)} ${'ratio'.padStart(8)} ${'Node op/s'.padStart(10)}`,
);
for (const { op, run } of petalCases()) {
  const row = inBrowser.find((r) => r.op === op);
  const petal = row?.petal ?? NaN;
  const xpi = row?.xpi ?? NaN;
  console.log(
    `${op.padEnd(22)} ${petal.toFixed(1).padStart(11)} ${xpi.toFixed(1).padStart(11)} ${(petal / xpi).toFixed(2).padStart(7)}× ${measure(run, MIN_MS).toFixed(1).padStart(10)}`,
  );
}
