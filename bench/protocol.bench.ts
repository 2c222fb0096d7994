/**
 * `npm run bench:protocol`: time from "the last member approved" to "every member holds the
 * broadcast transaction", for n = 2, 3, 10, 50 over the in-memory transport, next to a bare
 * MuSig2 run of the same n in the same process (nonces, aggregation, n signatures, each member
 * checking the others' partials in one batch as the protocol does, one final verification). The ratio is the protocol's overhead:
 * envelopes, signatures on every message, echoes, persistence, delivery and bookkeeping.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import {
  applyTaprootTweak,
  keyAgg,
  nonceAgg,
  nonceGen,
  partialSigAgg,
  partialSigsVerify,
  sign,
} from '../src/core/crypto/musig2.ts';
import { getPublicKey, schnorrVerify } from '../src/core/crypto/schnorr.ts';
import { createGroup } from '../test/support/signing-group.ts';
import { lastApprovalRound } from './last-approval-round.ts';

/** `BENCH_SIZES=10,50` runs only those sizes (profiling one size at a time). */
const SIZES = process.env.BENCH_SIZES?.split(',').map(Number) ?? [2, 3, 10, 50];
const REPS: Record<number, number> = { 2: 12, 3: 10, 10: 5, 50: 2 };

interface BareSetup {
  ctx: ReturnType<typeof keyAgg>;
  bySorted: Uint8Array[];
}

/** One key set per size, reused across runs as a vault's is (its point tables stay warm). */
function bareSetup(n: number): BareSetup {
  const secrets = Array.from({ length: n }, () => randomBytes(32));
  const publicKeys = secrets.map((s) => getPublicKey(s));
  const ctx = applyTaprootTweak(keyAgg(publicKeys));
  const sorted = [...ctx.pubkeys];
  const bySorted = sorted.map((pk) => {
    const i = publicKeys.findIndex((p) => p.every((b, k) => b === pk[k]));
    return secrets[i] as Uint8Array;
  });
  return { ctx, bySorted };
}

/** The same signatures with no protocol around them. */
function bareRun(n: number, { ctx, bySorted }: BareSetup): number {
  const msg = randomBytes(32);
  const start = performance.now();
  const nonces = bySorted.map((sk) =>
    nonceGen({ secretKey: sk, publicKey: getPublicKey(sk), message: msg }),
  );
  const aggNonce = nonceAgg(nonces.map((x) => x.pubNonce));
  const partials = bySorted.map((sk, i) =>
    sign((nonces[i] as (typeof nonces)[0]).secNonce, sk, ctx, aggNonce, msg),
  );
  for (let verifier = 0; verifier < n; verifier++) {
    const others = partials.flatMap((partialSig, i) =>
      i === verifier
        ? []
        : [{ partialSig, pubNonce: (nonces[i] as (typeof nonces)[0]).pubNonce, signerIndex: i }],
    );
    if (partialSigsVerify(others, ctx, aggNonce, msg) !== -1) throw new Error('bad partial');
  }
  const sig = partialSigAgg(partials, ctx, aggNonce, msg);
  if (!schnorrVerify(sig, msg, ctx.signingPublicKey)) throw new Error('bad signature');
  return performance.now() - start;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

console.log(
  `Petal signing protocol, in-memory transport — Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
console.log(
  `${'members'.padEnd(8)} ${'protocol ms'.padStart(12)} ${'bare MuSig2 ms'.padStart(15)} ${'overhead'.padStart(9)} ${'per member ms'.padStart(14)} ${'CPU/member ms'.padStart(14)}`,
);
for (const n of SIZES) {
  const group = await createGroup(n, { timeouts: { failoverMs: 60_000 } });
  const protocol: number[] = [];
  const cpu: number[] = [];
  const bare: number[] = [];
  const setup = bareSetup(n);
  bareRun(n, setup); // warm-up, as the protocol's first session warms the vault's tables
  for (let rep = 0; rep < (REPS[n] ?? 3); rep++) {
    const run = await lastApprovalRound(group);
    protocol.push(run.wall);
    cpu.push(run.cpu);
    bare.push(bareRun(n, setup));
  }
  await group.stop();
  const p = median(protocol);
  const b = median(bare);
  console.log(
    `${String(n).padEnd(8)} ${p.toFixed(1).padStart(12)} ${b.toFixed(1).padStart(15)} ${(p / b).toFixed(2).padStart(8)}× ${(p / n).toFixed(2).padStart(14)} ${(median(cpu) / n).toFixed(2).padStart(14)}`,
  );
}
