import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
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
} from '../../../src/core/crypto/index.ts';
import { xpi } from '../../support/xpi-ts.ts';

function randomKeys(n: number): Uint8Array[] {
  return Array.from({ length: n }, () => {
    for (;;) {
      const sk = randomBytes(32);
      try {
        getPublicKey(sk);
        return sk;
      } catch {
        // out of range (probability 2^-128): draw again
      }
    }
  });
}

describe('cross-implementation with xpi-ts 0.3.1', () => {
  it('agrees on aggregate keys and vault commitments for random key sets', () => {
    for (let round = 0; round < 12; round++) {
      const pubs = randomKeys(2 + (round % 6)).map(getPublicKey);
      expect(bytesToHex(keyAgg(pubs).aggregatePublicKey)).toBe(bytesToHex(xpi.aggregateKey(pubs)));
      expect(bytesToHex(applyTaprootTweak(keyAgg(pubs)).signingPublicKey)).toBe(
        bytesToHex(xpi.compress(xpi.taproot(pubs).commitment.point)),
      );
    }
  });

  it('verifies each other’s Schnorr signatures', () => {
    for (const sk of randomKeys(6)) {
      const msg = randomBytes(32);
      const pub = getPublicKey(sk);
      expect(xpi.schnorrVerify(schnorrSign(msg, sk), msg, pub)).toBe(true);
      expect(schnorrVerify(xpi.schnorrSign(msg, sk), msg, pub)).toBe(true);
    }
  });

  it('completes a vault session mixing Petal and xpi-ts signers into a valid signature', () => {
    const sks = randomKeys(4);
    const ctx = applyTaprootTweak(keyAgg(sks.map(getPublicKey)));
    const reference = xpi.taproot(ctx.pubkeys as Uint8Array[]);
    const msg = randomBytes(32);
    // Sorted order decides who adds e·t; odd positions sign with xpi-ts.
    const sorted = ctx.pubkeys.map(
      (pk) => sks.find((sk) => bytesToHex(getPublicKey(sk)) === bytesToHex(pk)) as Uint8Array,
    );
    const nonces = sorted.map((sk, i) => {
      if (i % 2 === 0)
        return { petal: nonceGen({ secretKey: sk, publicKey: getPublicKey(sk), message: msg }) };
      const ref = xpi.nonceGen(sk, reference.aggregatedPubKey, msg, randomBytes(32));
      return {
        ref,
        pubNonce: new Uint8Array([
          ...xpi.compress(ref.publicNonces[0]),
          ...xpi.compress(ref.publicNonces[1]),
        ]),
      };
    });
    const pubNonces = nonces.map((n) => ('petal' in n ? n.petal!.pubNonce : n.pubNonce));
    const aggNonce = nonceAgg(pubNonces);
    const psigs = sorted.map((sk, i) => {
      const n = nonces[i]!;
      return 'petal' in n
        ? sign(n.petal!.secNonce, sk, ctx, aggNonce, msg)
        : xpi.signTaproot(n.ref, sk, reference.keyAggContext, i, aggNonce, msg, reference.tweak);
    });
    const sig = partialSigAgg(psigs, ctx, aggNonce, msg, pubNonces);
    expect(schnorrVerify(sig, msg, ctx.signingPublicKey)).toBe(true);
    expect(xpi.schnorrVerify(sig, msg, ctx.signingPublicKey)).toBe(true);
  });
});
