/**
 * `npm run bench:crypto:browser`: builds bench/browser with Vite, serves it on 127.0.0.1 and runs
 * the crypto cases inside headless Debian Chromium (the extension's real engine), Petal and xpi-ts
 * side by side in one page, then prints ops/s, the ratio, and Petal's ops/s in Node for scale;
 * then one member's MuSig2 work against secp256k1-zkp's WASM MuSig2 in the same page (and in Node).
 */
import { chromium } from 'playwright-core';
import { measure, petalCases } from '../bench/crypto-cases.ts';
import { type MemberRow, memberReport, memberRows } from '../bench/member-cases.ts';
import { serveBenchPage } from '../bench/browser/serve.ts';
import { CHROMIUM } from '../test/e2e/harness.ts';

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 400);
const server = await serveBenchPage();
const url = server.url;

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
const membersInBrowser = (await page.evaluate(
  (ms) =>
    (window as unknown as { runMemberBench(m: number): Promise<MemberRow[]> }).runMemberBench(ms),
  MIN_MS,
)) as MemberRow[];
await browser.close();
await server.close();

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

console.log('');
console.log(
  `One member's MuSig2 work vs @vulpemventures/secp256k1-zkp 3.2.1 (WASM, BIP327), Chromium ${browser.version()}`,
);
for (const line of memberReport(membersInBrowser)) console.log(line);
console.log(`The same in Node ${process.version}:`);
for (const line of memberReport(await memberRows(MIN_MS))) console.log(line.replace(/^/, '  '));
