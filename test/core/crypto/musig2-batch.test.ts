import { describe, expect, it } from 'vitest';
import {
  type PartialToVerify,
  SigningKey,
  applyTaprootTweak,
  keyAgg,
  nonceAgg,
  nonceGen,
  partialSigVerify,
  partialSigsVerify,
  sign,
} from '../../../src/core/crypto/index.ts';
import { batchVerifies, sessionValues } from '../../../src/core/crypto/musig2.ts';

/** A real 4-member Taproot vault session: every member's nonce and partial signature. */
function session() {
  const members = Array.from({ length: 4 }, () => {
    const sk = crypto.getRandomValues(new Uint8Array(32));
    sk[0] = 1 + ((sk[0] as number) % 200);
    return new SigningKey(sk);
  });
  const ctx = applyTaprootTweak(keyAgg(members.map((m) => m.publicKey)));
  members.sort((a, b) => ctx.indexOf(a.publicKey) - ctx.indexOf(b.publicKey));
  const msg = crypto.getRandomValues(new Uint8Array(32));
  const nonces = members.map((m) =>
    nonceGen({ secretKey: m, publicKey: m.publicKey, message: msg }),
  );
  const aggNonce = nonceAgg(nonces.map((n) => n.pubNonce));
  const partials: PartialToVerify[] = members.map((m, i) => ({
    partialSig: sign(nonces[i]!.secNonce, m, ctx, aggNonce, msg),
    pubNonce: nonces[i]!.pubNonce,
    signerIndex: i,
  }));
  return { ctx, msg, aggNonce, partials };
}

describe('batch PartialSigVerify', () => {
  it('accepts every valid partial, tweaked signer 0 included, whichever way R is negated', () => {
    const seen = new Set<boolean>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const { ctx, msg, aggNonce, partials } = session();
      seen.add(sessionValues(ctx, aggNonce, msg).negate);
      expect(batchVerifies(partials, ctx, aggNonce, msg)).toBe(true);
      expect(partialSigsVerify(partials, ctx, aggNonce, msg)).toBe(-1);
      // The others' partials only, as one member checks them.
      expect(partialSigsVerify(partials.slice(1), ctx, aggNonce, msg)).toBe(-1);
      expect(partialSigsVerify(partials.slice(0, 1), ctx, aggNonce, msg)).toBe(-1);
    }
    expect([...seen].sort()).toEqual([false, true]);
  });

  it('names the first partial that does not verify, as PartialSigVerify would', () => {
    const { ctx, msg, aggNonce, partials } = session();
    const tampered = partials.map((p) => ({ ...p, partialSig: p.partialSig.slice() }));
    (tampered[2]!.partialSig as Uint8Array)[31]! ^= 1;
    expect(partialSigsVerify(tampered, ctx, aggNonce, msg)).toBe(2);
    expect(batchVerifies(tampered, ctx, aggNonce, msg)).toBe(false);
    (tampered[0]!.partialSig as Uint8Array)[5]! ^= 0x40;
    expect(partialSigsVerify(tampered, ctx, aggNonce, msg)).toBe(0);
    for (const [i, p] of tampered.entries()) {
      expect(partialSigVerify(p.partialSig, p.pubNonce, p.signerIndex, ctx, aggNonce, msg)).toBe(
        i !== 0 && i !== 2,
      );
    }
    // s ≥ n, another member's nonce, a claimed index that is not the signer's, an unknown index.
    const cases: [number, Partial<PartialToVerify>][] = [
      [1, { partialSig: new Uint8Array(32).fill(0xff) }],
      [3, { pubNonce: partials[1]!.pubNonce }],
      [2, { signerIndex: 1 }],
      [1, { signerIndex: 9 }],
      [3, { pubNonce: new Uint8Array(66).fill(2) }],
    ];
    for (const [at, change] of cases) {
      const list = partials.map((p, i) => (i === at ? { ...p, ...change } : p));
      expect(partialSigsVerify(list, ctx, aggNonce, msg)).toBe(at);
      expect(batchVerifies(list, ctx, aggNonce, msg)).toBe(false);
    }
    // The same partials under another message fail from the first.
    expect(partialSigsVerify(partials, ctx, aggNonce, new Uint8Array(32))).toBe(0);
  });
});
