/**
 * `node bench/schnorr-batch.bench.ts`: would batch verification make envelope signatures cheaper?
 * Lotus Schnorr fixes R by its x coordinate (R's y must be a quadratic residue, and exactly one
 * of ±y is), so k signatures can be checked at once with random 128-bit weights w_i:
 * (Σ w_i·s_i)·G == Σ w_i·R_i + Σ (w_i·e_i)·P_i. This times that equation (an experiment kept
 * here, not used by the protocol) against one `schnorrVerify` each, for k signatures from k
 * member keys that have their precomputed tables, as an open session's keys do.
 */
import { mulAddUnsafe } from '@noble/curves/abstract/curve.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { Fp, G, N, P, Point, bytesToInt, hasSquareY, mod } from '../src/core/crypto/curve.ts';
import { pinTables, tableFor } from '../src/core/crypto/point-tables.ts';
import {
  getPublicKey,
  schnorrChallenge,
  schnorrSign,
  schnorrVerify,
} from '../src/core/crypto/schnorr.ts';

type Pt = InstanceType<typeof Point>;
interface Signed {
  msg: Uint8Array;
  sig: Uint8Array;
  pub: Uint8Array;
  point: Pt;
}

/** R from r: the curve point with x = r whose y is a quadratic residue (throws if none). */
function liftR(r: bigint): Pt {
  const y = Fp.sqrt(Fp.add(Fp.pow(r, 3n), 7n));
  const R = Point.fromAffine({ x: r, y });
  return hasSquareY(R) ? R : R.negate();
}

function batchVerify(items: Signed[]): boolean {
  let sum = 0n;
  let keyTerms = Point.ZERO;
  const nonces: Pt[] = [];
  const weights: bigint[] = [];
  for (const { msg, sig, pub, point } of items) {
    const r = bytesToInt(sig.subarray(0, 32));
    const s = bytesToInt(sig.subarray(32));
    if (r >= P || s >= N) return false;
    let R: Pt;
    try {
      R = liftR(r);
    } catch {
      return false;
    }
    const w = bytesToInt(randomBytes(16)) + 1n;
    const e = schnorrChallenge(sig.subarray(0, 32), pub, msg);
    sum = mod(sum + w * s);
    nonces.push(R);
    weights.push(w);
    const tabled = tableFor(bytesToHex(pub), point) ?? point;
    keyTerms = keyTerms.add(tabled.multiplyUnsafe(mod(w * e)));
  }
  return G.multiplyUnsafe(sum).equals(keyTerms.add(mulAddUnsafe(Point, nonces, weights)));
}

function signatures(k: number): Signed[] {
  const secrets = Array.from({ length: k }, () => randomBytes(32));
  const pubs = secrets.map((s) => getPublicKey(s));
  pinTables('bench', pubs.map(bytesToHex));
  return secrets.map((secret, i) => {
    const msg = randomBytes(32);
    const pub = pubs[i] as Uint8Array;
    return { msg, sig: schnorrSign(msg, secret), pub, point: Point.fromBytes(pub) };
  });
}

/** Median ms per signature of each of `fns`, run in turn (so both see the same load). */
function msPerSig(k: number, fns: (() => void)[], rounds = 60): number[] {
  for (const fn of fns) for (let i = 0; i < 3; i++) fn();
  const times: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++)
    fns.forEach((fn, i) => {
      const start = performance.now();
      fn();
      (times[i] as number[]).push((performance.now() - start) / k);
    });
  return times.map((t) => t.sort((x, y) => x - y)[t.length >> 1] as number);
}

console.log(`Lotus Schnorr: one by one vs batch, tabled member keys — Node ${process.version}`);
console.log(
  `${'k'.padEnd(4)} ${'single ms/sig'.padStart(14)} ${'batch ms/sig'.padStart(13)} ${'batch speed-up'.padStart(15)}`,
);
for (const k of [3, 9, 49]) {
  const set = signatures(k);
  const forged = set.map((x, i) => (i === k - 1 ? { ...x, msg: randomBytes(32) } : x));
  if (!batchVerify(set) || batchVerify(forged)) throw new Error('batch equation is wrong');
  const [single, batch] = msPerSig(k, [
    () => {
      if (!set.every((x) => schnorrVerify(x.sig, x.msg, x.pub))) throw new Error('verify');
    },
    () => {
      if (!batchVerify(set)) throw new Error('batch');
    },
  ]) as [number, number];
  console.log(
    `${String(k).padEnd(4)} ${single.toFixed(3).padStart(14)} ${batch.toFixed(3).padStart(13)} ${(single / batch).toFixed(2).padStart(14)}×`,
  );
}
const r = bytesToInt(signatures(1)[0]!.sig.subarray(0, 32));
const [lift] = msPerSig(1, [() => liftR(r)], 200) as [number];
console.log(`lifting R from r (one square root): ${lift.toFixed(3)} ms`);
