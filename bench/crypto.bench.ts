/**
 * `npm run bench:crypto`: Petal's crypto core against the xpi-ts reference, measured in the same
 * run on the same machine, printed as ops/s and ratios (higher ratio = Petal faster); then one
 * member's MuSig2 work against secp256k1-zkp's WASM MuSig2 (Petal's time over the reference's).
 */
import { createRequire } from 'node:module';
import { measure, petalCases } from './crypto-cases.ts';
import { memberReport, memberRows } from './member-cases.ts';
import { xpiReference } from './xpi-cases.ts';

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 400);
// xpi-ts's CommonJS build: its ESM build has directory imports Node cannot resolve.
const X: unknown = createRequire(import.meta.url)('xpi-ts/lib/bitcore');

console.log(
  `Petal crypto vs xpi-ts 0.3.1 — Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
console.log(
  `${'operation'.padEnd(28)} ${'Petal op/s'.padStart(10)} ${'xpi-ts op/s'.padStart(10)} ${'ratio'.padStart(8)}`,
);
let keyAgg100 = 0;
for (const { op, run } of petalCases()) {
  const petal = measure(run, MIN_MS);
  const reference = measure(xpiReference(X, op), MIN_MS);
  if (op === 'keyAgg n=100 (cold)') keyAgg100 = 1000 / petal;
  console.log(
    `${op.padEnd(28)} ${petal.toFixed(1).padStart(10)} ${reference.toFixed(1).padStart(10)} ${(petal / reference).toFixed(2).padStart(7)}×`,
  );
}
console.log(`keyAgg(100): ${keyAgg100.toFixed(1)} ms per aggregation`);
console.log('');
console.log("One member's MuSig2 work vs @vulpemventures/secp256k1-zkp 3.2.1 (WASM, BIP327)");
for (const line of memberReport(await memberRows(MIN_MS))) console.log(line);
