/**
 * The xpi-ts side of every crypto bench row, runnable in Node and in Chromium: it takes the
 * library's module object (CommonJS in Node, the bundled ESM build in the browser) and uses only
 * `globalThis.Buffer` (Node's, or the `buffer` package the browser bench installs first).
 */
import { getPublicKey } from '../src/core/crypto/index.ts';
import { randomSecretKeys } from './crypto-cases.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type BufferLike = { from(bytes: Uint8Array | string, encoding?: string): Uint8Array };
const B = (): BufferLike => (globalThis as unknown as { Buffer: BufferLike }).Buffer;
const buf = (bytes: Uint8Array) => B().from(bytes);
const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * One full xpi-ts n-party session from key pairs already held (as on Petal's side): KeyAgg,
 * nonces, NonceAgg, partials, aggregation.
 */
function xpiSession(X: any, privs: any[], msg: Uint8Array): Uint8Array {
  const ctx = X.muSig2KeyAgg(privs.map((p: any) => p.publicKey));
  const nonces = privs.map((p: any) =>
    X.muSig2NonceGen(
      p,
      ctx.aggregatedPubKey,
      buf(msg),
      buf(crypto.getRandomValues(new Uint8Array(32))),
    ),
  );
  const agg = X.muSig2NonceAgg(nonces.map((n: any) => n.publicNonces));
  const psigs = privs.map((p: any, i: number) =>
    X.muSig2PartialSign(nonces[i], p, ctx, i, agg, buf(msg)),
  );
  return new Uint8Array(
    X.muSig2SigAgg(psigs, agg, buf(msg), ctx.aggregatedPubKey).toBuffer('schnorr'),
  );
}

/** The reference run for a Petal row, matched by the row's name. */
export function xpiReference(X: any, op: string): () => unknown {
  const msg = crypto.getRandomValues(new Uint8Array(32));
  const [sk] = randomSecretKeys(1) as [Uint8Array];
  const priv = new X.PrivateKey(hex(sk));
  if (op === 'Schnorr sign') return () => X.Schnorr.sign(buf(msg), priv);
  if (op === 'Schnorr verify') {
    // From bytes, as Petal's verify takes them.
    const sig = buf(X.Schnorr.sign(buf(msg), priv).toBuffer('schnorr'));
    const pub = buf(getPublicKey(sk));
    return () =>
      X.Schnorr.verify(buf(msg), X.Signature.fromSchnorr(sig), X.PublicKey.fromBuffer(pub));
  }
  const n = Number(op.match(/n=(\d+)/)?.[1]);
  if (op.startsWith('keyAgg')) {
    // Fresh key sets every call, as on Petal's side (its context cache is cycled through).
    const sets = Array.from({ length: 150 }, () => randomSecretKeys(n).map(getPublicKey));
    let i = 0;
    return () =>
      X.muSig2KeyAgg(
        (sets[i++ % 150] as Uint8Array[]).map((pk) => X.PublicKey.fromBuffer(buf(pk))),
      );
  }
  // PrivateKey caches its public key on first use: derive it now, outside the timed session.
  const privs = randomSecretKeys(n).map((sk) => new X.PrivateKey(hex(sk)));
  for (const p of privs) void p.publicKey;
  return () => xpiSession(X, privs, msg);
}
