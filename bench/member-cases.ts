/**
 * One member's MuSig2 work in an n-party session, for Petal (Lotus MuSig2) and for the
 * secp256k1-zkp WASM build (BIP327, a speed reference only), runnable in Node and Chromium.
 *
 * Timed, on both sides: KeyAgg of the vault (kept per vault: Petal's context cache, zkp's
 * keyaggCache), this member's NonceGen, NonceAgg of all n public nonces received as bytes, the
 * session values, this member's partial signature (Petal: with its constant-time fault check),
 * PartialSigVerify of the n − 1 others' partials, and PartialSigAgg. Not timed: the other members'
 * nonces and partials, made in between, and Petal's parsed-nonce and session caches are emptied
 * after them so nothing of theirs is reused.
 */
import {
  SigningKey,
  applyTaprootTweak,
  keyAgg,
  nonceAgg,
  nonceGen,
  partialSigAgg,
  partialSigVerify,
  partialSigsVerify,
  sign,
} from '../src/core/crypto/index.ts';
import { forgetParsedNonces } from '../src/core/crypto/musig2.ts';
import { randomSecretKeys } from './crypto-cases.ts';

export const MEMBER_SIZES = [3, 10, 50] as const;

/** A session split into untimed steps (the others) and timed ones (this member); sums the latter. */
type Timer = <T>(fn: () => T) => T;
type MemberSession = (timed: Timer) => void;

/** The timed part of one member session, in ms. */
function timeOnce(session: MemberSession): number {
  let spent = 0;
  session((fn) => {
    const start = performance.now();
    const out = fn();
    spent += performance.now() - start;
    return out;
  });
  return spent;
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Median ms per member session of each of `sessions`, run in turn until each has `minMs` of
 * timed work (at least 5 sessions), so all see the same load on a shared machine.
 */
export function measureMembers(sessions: MemberSession[], minMs: number): number[] {
  for (let i = 0; i < 2; i++) sessions.forEach(timeOnce); // warm up: tables, caches, JIT
  const times: number[][] = sessions.map(() => []);
  let spent = 0;
  while (spent < sessions.length * minMs || (times[0] as number[]).length < 5) {
    sessions.forEach((session, i) => {
      const ms = timeOnce(session);
      (times[i] as number[]).push(ms);
      spent += ms;
    });
  }
  return times.map(median);
}

/**
 * How a member checks the others' partial signatures: each on its own as it arrives (the protocol
 * until issue #19), all together at aggregation in one `partialSigsVerify` (the protocol now), or
 * only the final signature, checking partials only if it fails (the issue's "final first").
 */
export type PartialCheck = 'each' | 'batch' | 'final-first';

/** Petal: member 0 (sorted order) of an n-member Taproot vault, checking partials by `check`. */
export function petalMember(n: number, check: PartialCheck = 'batch'): (timed: Timer) => void {
  const keys = randomSecretKeys(n).map((secret) => new SigningKey(secret));
  const pubkeys = keys.map((k) => k.publicKey);
  const vault = applyTaprootTweak(keyAgg(pubkeys));
  const sorted = keys
    .slice()
    .sort((a, b) => vault.indexOf(a.publicKey) - vault.indexOf(b.publicKey));
  const me = sorted[0] as SigningKey;
  const msg = crypto.getRandomValues(new Uint8Array(32));
  return (timed) => {
    const ctx = timed(() => applyTaprootTweak(keyAgg(pubkeys)));
    const own = timed(() => nonceGen({ secretKey: me, publicKey: me.publicKey, message: msg }));
    const others = sorted.slice(1).map((key) => ({
      key,
      ...nonceGen({ secretKey: key, publicKey: key.publicKey, message: msg }),
    }));
    const pubNonces = [own.pubNonce, ...others.map((o) => o.pubNonce)];
    const aggNonce = nonceAgg(pubNonces);
    const partials = others.map((o) => sign(o.secNonce, o.key, ctx, aggNonce, msg));
    forgetParsedNonces();
    ctx.sessionCache.clear();
    timed(() => {
      const received = pubNonces.map((p) => p.slice());
      const agg = nonceAgg(received);
      const mine = sign(own.secNonce, me, ctx, agg, msg);
      if (check === 'final-first')
        return partialSigAgg([mine, ...partials], ctx, agg, msg, received);
      if (check === 'batch') {
        const others = partials.map((partialSig, i) => ({
          partialSig,
          pubNonce: received[i + 1] as Uint8Array,
          signerIndex: i + 1,
        }));
        if (partialSigsVerify(others, ctx, agg, msg) !== -1) throw new Error('a partial failed');
      } else {
        partials.forEach((psig, i) => {
          if (!partialSigVerify(psig, received[i + 1] as Uint8Array, i + 1, ctx, agg, msg))
            throw new Error('a partial did not verify');
        });
      }
      return partialSigAgg([mine, ...partials], ctx, agg, msg);
    });
  };
}

/** The slice of @vulpemventures/secp256k1-zkp's API the reference uses. */
export interface ZkpMusig {
  pubkeyAgg(pubKeys: Uint8Array[]): { aggPubkey: Uint8Array; keyaggCache: Uint8Array };
  nonceGen(
    sessionId: Uint8Array,
    pubKey: Uint8Array,
  ): { pubNonce: Uint8Array; secNonce: Uint8Array };
  nonceAgg(pubNonces: Uint8Array[]): Uint8Array;
  nonceProcess(nonceAgg: Uint8Array, msg: Uint8Array, keyaggCache: Uint8Array): Uint8Array;
  partialSign(
    secNonce: Uint8Array,
    secKey: Uint8Array,
    keyaggCache: Uint8Array,
    session: Uint8Array,
  ): Uint8Array;
  partialVerify(
    partialSig: Uint8Array,
    pubNonce: Uint8Array,
    pubKey: Uint8Array,
    keyaggCache: Uint8Array,
    session: Uint8Array,
  ): boolean;
  partialSigAgg(session: Uint8Array, partialSigs: Uint8Array[]): Uint8Array;
}

/** secp256k1-zkp: the same member work, BIP327, KeyAgg kept per vault as its keyaggCache. */
export function zkpMember(musig: ZkpMusig, n: number): (timed: Timer) => void {
  const secrets = randomSecretKeys(n);
  const keys = secrets.map((secret) => new SigningKey(secret).publicKey);
  const me = 0;
  const msg = crypto.getRandomValues(new Uint8Array(32));
  let vault: { keyaggCache: Uint8Array } | undefined;
  const fresh = () => crypto.getRandomValues(new Uint8Array(32));
  return (timed) => {
    const cache = timed(() => (vault ??= musig.pubkeyAgg(keys)).keyaggCache);
    const own = timed(() => musig.nonceGen(fresh(), keys[me] as Uint8Array));
    const others = keys.slice(1).map((pk) => musig.nonceGen(fresh(), pk));
    const pubNonces = [own.pubNonce, ...others.map((o) => o.pubNonce)];
    const session = musig.nonceProcess(musig.nonceAgg(pubNonces), msg, cache);
    const partials = others.map((o, i) =>
      musig.partialSign(o.secNonce, secrets[i + 1] as Uint8Array, cache, session),
    );
    timed(() => {
      const agg = musig.nonceAgg(pubNonces);
      const s = musig.nonceProcess(agg, msg, cache);
      const mine = musig.partialSign(own.secNonce, secrets[me] as Uint8Array, cache, s);
      partials.forEach((psig, i) => {
        if (
          !musig.partialVerify(
            psig,
            pubNonces[i + 1] as Uint8Array,
            keys[i + 1] as Uint8Array,
            cache,
            s,
          )
        )
          throw new Error('a zkp partial did not verify');
      });
      return musig.partialSigAgg(s, [mine, ...partials]);
    });
  };
}

/** Loads the WASM reference (Node gets the CommonJS build, a bundler the ESM one). */
export async function loadZkpMusig(): Promise<ZkpMusig> {
  const mod = (await import('@vulpemventures/secp256k1-zkp')) as unknown as {
    default: (() => Promise<{ musig: ZkpMusig }>) | { default: () => Promise<{ musig: ZkpMusig }> };
  };
  const init = typeof mod.default === 'function' ? mod.default : mod.default.default;
  return (await init()).musig;
}

export interface MemberRow {
  n: number;
  /** Median ms per member session: Petal checking each partial, batching them, final first; zkp. */
  petal: number;
  batch: number;
  finalFirst: number;
  zkp: number;
}

/** Every member row, Petal then the reference at each n, in this engine. */
export async function memberRows(minMs: number): Promise<MemberRow[]> {
  const musig = await loadZkpMusig();
  return MEMBER_SIZES.map((n) => {
    const [petal, batch, finalFirst, zkp] = measureMembers(
      [
        petalMember(n, 'each'),
        petalMember(n, 'batch'),
        petalMember(n, 'final-first'),
        zkpMember(musig, n),
      ],
      minMs,
    ) as [number, number, number, number];
    return { n, petal, batch, finalFirst, zkp };
  });
}

/** The report lines for member rows: ms per member session, and Petal's time over zkp's. */
export function memberReport(rows: MemberRow[]): string[] {
  const cell = (v: number, w = 9) => v.toFixed(2).padStart(w);
  return [
    `${'one member'.padEnd(11)} ${'each ms'.padStart(9)} ${'batch ms'.padStart(9)} ${'final1st'.padStart(9)} ${'zkp ms'.padStart(9)} ${'each/zkp'.padStart(10)} ${'batch/zkp'.padStart(10)} ${'final/zkp'.padStart(10)}`,
    ...rows.map(
      ({ n, petal, batch, finalFirst, zkp }) =>
        `${`n=${n}`.padEnd(11)} ${cell(petal)} ${cell(batch)} ${cell(finalFirst)} ${cell(zkp)} ${cell(petal / zkp)}× ${cell(batch / zkp)}× ${cell(finalFirst / zkp)}×`,
    ),
  ];
}
