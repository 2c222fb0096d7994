/**
 * A narrow adapter over the `xpi-ts` reference library (its CommonJS build: the ESM build has
 * unresolvable directory imports), for cross-implementation tests and benchmarks only.
 */
import { createRequire } from 'node:module';

/* eslint-disable @typescript-eslint/no-explicit-any */
const X: any = createRequire(import.meta.url)('xpi-ts/lib/bitcore');

const buf = (b: Uint8Array) => Buffer.from(b);
const bn32 = (v: any): Uint8Array => new Uint8Array(v.toBuffer({ size: 32 }));

export const xpi = {
  privateKey: (sk: Uint8Array) => new X.PrivateKey(buf(sk).toString('hex')),
  publicKey: (pk: Uint8Array) => X.PublicKey.fromBuffer(buf(pk)),
  keyAgg: (pubkeys: Uint8Array[]) =>
    X.muSig2KeyAgg(pubkeys.map((pk) => X.PublicKey.fromBuffer(buf(pk)))),
  aggregateKey: (pubkeys: Uint8Array[]): Uint8Array =>
    new Uint8Array(
      X.muSig2KeyAgg(
        pubkeys.map((pk) => X.PublicKey.fromBuffer(buf(pk))),
      ).aggregatedPubKey.toBuffer(),
    ),
  taproot: (pubkeys: Uint8Array[]) =>
    X.buildMuSig2TaprootKey(pubkeys.map((pk) => X.PublicKey.fromBuffer(buf(pk)))),
  schnorrSign: (msg: Uint8Array, sk: Uint8Array): Uint8Array =>
    new Uint8Array(
      X.Schnorr.sign(buf(msg), new X.PrivateKey(buf(sk).toString('hex'))).toBuffer('schnorr'),
    ),
  schnorrVerify: (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean =>
    X.Schnorr.verify(buf(msg), X.Signature.fromSchnorr(buf(sig)), X.PublicKey.fromBuffer(buf(pk))),
  compress: (point: any): Uint8Array => new Uint8Array(X.Point.pointToCompressed(point)),
  point: (compressed: Uint8Array) => X.PublicKey.fromBuffer(buf(compressed)).point,
  nonceGen: (sk: Uint8Array, aggKey: any, msg: Uint8Array, extra: Uint8Array) =>
    X.muSig2NonceGen(new X.PrivateKey(buf(sk).toString('hex')), aggKey, buf(msg), buf(extra)),
  signTaproot: (
    nonce: any,
    sk: Uint8Array,
    ctx: any,
    index: number,
    aggNonce: Uint8Array,
    msg: Uint8Array,
    tweak: any,
  ) =>
    bn32(
      X.signTaprootKeyPathWithMuSig2(
        nonce,
        new X.PrivateKey(buf(sk).toString('hex')),
        ctx,
        index,
        {
          R1: X.PublicKey.fromBuffer(buf(aggNonce.subarray(0, 33))).point,
          R2: X.PublicKey.fromBuffer(buf(aggNonce.subarray(33))).point,
        },
        buf(msg),
        tweak,
      ),
    ),
};

/** xpi-ts's `Message`: sign and verify "signed messages" (base64 compact ECDSA). */
export const xpiMessage = {
  sign: (text: string, sk: Uint8Array): string =>
    new X.Message(text).sign(new X.PrivateKey(buf(sk).toString('hex'))),
  verifyWithKey: (text: string, pk: Uint8Array, signature: string): boolean =>
    new X.Message(text)._verify(
      X.PublicKey.fromBuffer(buf(pk)),
      X.Signature.fromCompact(Buffer.from(signature, 'base64')),
    ),
};
