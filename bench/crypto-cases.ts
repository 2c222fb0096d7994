/**
 * Crypto benchmark cases that run anywhere (Node and Chromium): pure Petal code, no Node APIs.
 */
import {
  SigningKey,
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

export function measure(fn: () => unknown, minMs: number): number {
  fn(); // warm up
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs || iterations < 3) {
    fn();
    iterations++;
    elapsed = performance.now() - start;
  }
  return (iterations * 1000) / elapsed;
}

export function randomSecretKeys(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const sk = crypto.getRandomValues(new Uint8Array(32));
    sk[0] = (i % 200) + 1; // keep it well below n
    return sk;
  });
}

/**
 * One complete n-party vault session, all members in this process. Each member holds its key
 * pair already (the wallet derives it once, when it starts serving the vault; xpi-ts's side gets
 * the same), then: KeyAgg (cached per vault), fresh nonces, NonceAgg, partial signatures (each
 * checked by its signer), aggregation with the final signature verified.
 */
export function petalSession(keys: SigningKey[], msg: Uint8Array): Uint8Array {
  const ctx = applyTaprootTweak(keyAgg(keys.map((k) => k.publicKey)));
  const bySorted = keys.slice().sort((a, b) => ctx.indexOf(a.publicKey) - ctx.indexOf(b.publicKey));
  const nonces = bySorted.map((key) =>
    nonceGen({ secretKey: key, publicKey: key.publicKey, message: msg }),
  );
  const pubNonces = nonces.map((n) => n.pubNonce);
  const aggNonce = nonceAgg(pubNonces);
  const psigs = bySorted.map((key, i) => sign(nonces[i]!.secNonce, key, ctx, aggNonce, msg));
  return partialSigAgg(psigs, ctx, aggNonce, msg, pubNonces);
}

export interface PetalCase {
  op: string;
  run: () => unknown;
}

/** The Petal side of every row, in the order the reports print them. */
export function petalCases(): PetalCase[] {
  const [sk] = randomSecretKeys(1) as [Uint8Array];
  const msg = crypto.getRandomValues(new Uint8Array(32));
  const sig = schnorrSign(msg, sk);
  const pub = getPublicKey(sk);
  const cases: PetalCase[] = [
    { op: 'Schnorr sign', run: () => schnorrSign(msg, sk) },
    { op: 'Schnorr verify', run: () => schnorrVerify(sig, msg, pub) },
  ];
  for (const n of [2, 3, 10, 100]) {
    // Cycling through more sets than the context cache holds makes every call a miss.
    const sets = Array.from({ length: 150 }, () => randomSecretKeys(n).map(getPublicKey));
    let i = 0;
    cases.push({
      op: `keyAgg n=${n} (cold)`,
      run: () => keyAgg((sets[i++ % 150] as Uint8Array[]).slice()),
    });
  }
  for (const n of [2, 3, 10, 50]) {
    const keys = randomSecretKeys(n).map((secret) => new SigningKey(secret));
    cases.push({ op: `full session n=${n}`, run: () => petalSession(keys, msg) });
  }
  return cases;
}
