/**
 * `npm run bench:crypto`: Petal's crypto core against the xpi-ts reference, measured in the same
 * run on the same machine, printed as ops/s and ratios (higher ratio = Petal faster).
 */
import { getPublicKey } from '../src/core/crypto/index.ts';
import { xpi } from '../test/support/xpi-ts.ts';
import { measure, petalCases, randomSecretKeys } from './crypto-cases.ts';

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 400);
const msg = crypto.getRandomValues(new Uint8Array(32));
const [sk] = randomSecretKeys(1) as [Uint8Array];
const sig = xpi.schnorrSign(msg, sk);
const pub = getPublicKey(sk);

/** The reference side of each row, matched by name. */
function referenceFor(op: string): () => unknown {
  if (op === 'Schnorr sign') return () => xpi.schnorrSign(msg, sk);
  if (op === 'Schnorr verify') return () => xpi.schnorrVerify(sig, msg, pub);
  const n = Number(op.match(/n=(\d+)/)?.[1]);
  if (op.startsWith('keyAgg')) {
    const sets = Array.from({ length: 150 }, () => randomSecretKeys(n).map(getPublicKey));
    let i = 0;
    return () => xpi.aggregateKey(sets[i++ % 150] as Uint8Array[]);
  }
  const sks = randomSecretKeys(n);
  return () => xpi.fullSession(sks, msg);
}

console.log(
  `Petal crypto vs xpi-ts 0.3.1 — Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
console.log(
  `${'operation'.padEnd(28)} ${'Petal op/s'.padStart(10)} ${'xpi-ts op/s'.padStart(10)} ${'ratio'.padStart(8)}`,
);
let keyAgg100 = 0;
for (const { op, run } of petalCases()) {
  const petal = measure(run, MIN_MS);
  const reference = measure(referenceFor(op), MIN_MS);
  if (op === 'keyAgg n=100 (cold)') keyAgg100 = 1000 / petal;
  console.log(
    `${op.padEnd(28)} ${petal.toFixed(1).padStart(10)} ${reference.toFixed(1).padStart(10)} ${(petal / reference).toFixed(2).padStart(7)}×`,
  );
}
console.log(`keyAgg(100): ${keyAgg100.toFixed(1)} ms per aggregation`);
