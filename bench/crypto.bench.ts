/**
 * `npm run bench:crypto`: Petal's crypto core against the xpi-ts reference, measured in the same
 * run on the same machine, printed as ops/s and ratios (higher ratio = Petal faster).
 */
import { randomBytes } from 'node:crypto';
import {
  applyTaprootTweak,
  getPublicKey,
  keyAgg,
  nonceAgg,
  nonceGen,
  partialSigAgg,
  schnorrSign,
  schnorrVerify,
  sign,
} from '../src/core/crypto/index.ts';
import { xpi } from '../test/support/xpi-ts.ts';

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 400);

function measure(fn: () => unknown): number {
  fn(); // warm up
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < MIN_MS || iterations < 3) {
    fn();
    iterations++;
    elapsed = performance.now() - start;
  }
  return (iterations * 1000) / elapsed;
}

function keys(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const sk = new Uint8Array(randomBytes(32));
    sk[0] = (i % 200) + 1; // keep it well below n
    return sk;
  });
}

/** One complete n-party vault session in Petal: KeyAgg, tweak, nonces, partials, verified agg. */
function petalSession(sks: Uint8Array[], msg: Uint8Array): Uint8Array {
  const pubs = sks.map(getPublicKey);
  const ctx = applyTaprootTweak(keyAgg(pubs));
  const bySorted = ctx.pubkeys.map(
    (pk) => sks[pubs.findIndex((p) => Buffer.compare(p, pk) === 0)] as Uint8Array,
  );
  const nonces = bySorted.map((sk, i) =>
    nonceGen({ secretKey: sk, publicKey: ctx.pubkeys[i] as Uint8Array, message: msg }),
  );
  const pubNonces = nonces.map((n) => n.pubNonce);
  const aggNonce = nonceAgg(pubNonces);
  const psigs = bySorted.map((sk, i) => sign(nonces[i]!.secNonce, sk, ctx, aggNonce, msg));
  return partialSigAgg(psigs, ctx, aggNonce, msg, pubNonces);
}

const rows: { op: string; petal: number; reference: number }[] = [];
const row = (op: string, petal: () => unknown, reference: () => unknown) => {
  rows.push({ op, petal: measure(petal), reference: measure(reference) });
  const r = rows.at(-1)!;
  console.log(
    `${op.padEnd(28)} ${r.petal.toFixed(1).padStart(10)} ${r.reference.toFixed(1).padStart(10)} ${(r.petal / r.reference).toFixed(2).padStart(7)}×`,
  );
};

console.log(
  `Petal crypto vs xpi-ts 0.3.1 — Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
console.log(
  `${'operation'.padEnd(28)} ${'Petal op/s'.padStart(10)} ${'xpi-ts op/s'.padStart(10)} ${'ratio'.padStart(8)}`,
);
const [sk] = keys(1) as [Uint8Array];
const msg = new Uint8Array(randomBytes(32));
const sig = schnorrSign(msg, sk);
const pub = getPublicKey(sk);
row(
  'Schnorr sign',
  () => schnorrSign(msg, sk),
  () => xpi.schnorrSign(msg, sk),
);
row(
  'Schnorr verify',
  () => schnorrVerify(sig, msg, pub),
  () => xpi.schnorrVerify(sig, msg, pub),
);
// keyAgg is measured cold (a fresh key set each call, as when a vault is first formed); full
// sessions reuse the vault's cached context, as every later spend of that vault does.
for (const n of [2, 3, 10, 100]) {
  // Cycling through more sets than the context cache holds makes every call a miss.
  const sets = Array.from({ length: 150 }, () => keys(n).map(getPublicKey));
  let i = 0;
  row(
    `keyAgg n=${n} (cold)`,
    () => keyAgg(sets[i++ % 150]!.slice()),
    () => xpi.aggregateKey(sets[i++ % 150]!),
  );
}
for (const n of [2, 3, 10, 50]) {
  const sks = keys(n);
  if (
    !schnorrVerify(
      petalSession(sks, msg),
      msg,
      applyTaprootTweak(keyAgg(sks.map(getPublicKey))).signingPublicKey,
    )
  ) {
    throw new Error('benchmark session produced an invalid signature');
  }
  row(
    `full session n=${n}`,
    () => petalSession(sks, msg),
    () => xpi.fullSession(sks, msg),
  );
}
const keyAgg100 = 1000 / (rows.find((r) => r.op === 'keyAgg n=100 (cold)')?.petal ?? 1);
console.log(`keyAgg(100): ${keyAgg100.toFixed(1)} ms per aggregation`);
