import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  InvalidContributionError,
  KeyAggContext,
  SigningKey,
  applyTaprootTweak,
  getPublicKey,
  keyAgg,
  keySort,
  nonceAgg,
  nonceGen,
  partialSigAgg,
  partialSigVerify,
  schnorrVerify,
  sign,
} from '../../../src/core/crypto/index.ts';
import {
  nonceGenWithRand,
  secretNonceFromScalarsForTests,
  sessionValues,
} from '../../../src/core/crypto/musig2.ts';
import { loadVectors } from '../../fixtures/vectors.ts';

interface KeyAggCase {
  id: string;
  input_pubkeys: string[];
  sorted_pubkeys: string[];
  coefficients: string[];
  aggregated_pubkey: string;
  taproot_keyonly: { tweak: string; commitment: string };
  lotus_lib_differs?: unknown;
}
interface Session {
  id: string;
  kind: 'plain' | 'key-only' | 'script-tree';
  input_pubkeys: string[];
  sorted_pubkeys: string[];
  seckeys_sorted: string[];
  key_agg_coefficients: string[];
  aggregated_pubkey: string;
  merkle_root?: string;
  commitment?: string;
  signing_pubkey: string;
  msg: string;
  secnonces_sorted: [string, string][];
  pubnonces_sorted: [string, string][];
  aggnonce: [string, string];
  b: string;
  R: string;
  R_y_is_square: boolean;
  e: string;
  partial_sigs_sorted: string[];
  sig: string;
}

const keyAggCases = loadVectors<{ cases: KeyAggCase[] }>('generated/musig2-keyagg.json').cases;
const sessions = loadVectors<{ sessions: Session[] }>('generated/musig2-sessions.json').sessions;
const h = hexToBytes;
const hex = bytesToHex;
const scalar = (s: string) => BigInt(`0x${s}`);

function contextFor(session: Session) {
  const ctx = keyAgg(session.input_pubkeys.map(h));
  if (session.kind === 'plain') return ctx;
  return applyTaprootTweak(
    ctx,
    session.kind === 'key-only' ? undefined : h(session.merkle_root as string),
  );
}

describe('MuSig2 KeyAgg (Lotus)', () => {
  const distinct = keyAggCases.filter(
    (c) => new Set(c.input_pubkeys).size === c.input_pubkeys.length,
  );
  const duplicates = keyAggCases.filter(
    (c) => new Set(c.input_pubkeys).size !== c.input_pubkeys.length,
  );

  it.each(distinct)('aggregates $id to the ecosystem vault key and commitment', (c) => {
    const ctx = keyAgg(c.input_pubkeys.map(h));
    expect(ctx.pubkeys.map(hex)).toEqual(c.sorted_pubkeys);
    expect(ctx.coefficients.map((a) => a.toString(16).padStart(64, '0'))).toEqual(c.coefficients);
    expect(hex(ctx.aggregatePublicKey)).toBe(c.aggregated_pubkey);
    const vault = applyTaprootTweak(ctx);
    expect(vault.tweak.toString(16).padStart(64, '0')).toBe(c.taproot_keyonly.tweak);
    expect(hex(vault.signingPublicKey)).toBe(c.taproot_keyonly.commitment);
  });

  it.each(duplicates)('refuses the duplicate-key set $id', (c) => {
    expect(() => keyAgg(c.input_pubkeys.map(h))).toThrow(
      expect.objectContaining({ name: 'InvalidInputError' }),
    );
  });

  it('names the input index of an invalid key (BIP327 key_agg error cases)', () => {
    const v = loadVectors<{
      pubkeys: string[];
      error_test_cases: {
        key_indices: number[];
        tweak_indices: number[];
        error: { type: string; signer?: number };
      }[];
    }>('bip327/key_agg_vectors.json');
    for (const c of v.error_test_cases.filter((e) => e.error.type === 'invalid_contribution')) {
      const keys = c.key_indices.map((i) => h(v.pubkeys[i] as string));
      const err = (() => {
        try {
          keyAgg(keys);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(InvalidContributionError);
      expect(err).toMatchObject({ signerIndex: c.error.signer, contribution: 'pubkey' });
    }
  });

  it('sorts keys as BIP327 KeySort does', () => {
    const v = loadVectors<{ pubkeys: string[]; sorted_pubkeys: string[] }>(
      'bip327/key_sort_vectors.json',
    );
    expect(keySort(v.pubkeys.map(h)).map((k) => hex(k).toUpperCase())).toEqual(v.sorted_pubkeys);
  });
});

describe('MuSig2 sessions (Lotus)', () => {
  it.each(sessions)('replays $id byte for byte and yields a valid Lotus Schnorr signature', (s) => {
    const ctx = contextFor(s);
    expect(hex(ctx.aggregatePublicKey)).toBe(s.aggregated_pubkey);
    expect(hex(ctx.signingPublicKey)).toBe(s.signing_pubkey);
    const msg = h(s.msg);
    const pubNonces = s.pubnonces_sorted.map(([a, b]) => h(a + b));
    const aggNonce = nonceAgg(pubNonces);
    expect(hex(aggNonce)).toBe(s.aggnonce.join(''));
    const values = sessionValues(ctx, aggNonce, msg);
    expect(values.b.toString(16).padStart(64, '0')).toBe(s.b);
    expect(hex(values.R.toBytes(true))).toBe(s.R);
    expect(values.negate).toBe(!s.R_y_is_square);
    expect(values.e.toString(16).padStart(64, '0')).toBe(s.e);

    const psigs = s.seckeys_sorted.map((sk, i) => {
      const [k1, k2] = s.secnonces_sorted[i] as [string, string];
      const secNonce = secretNonceFromScalarsForTests(scalar(k1), scalar(k2), getPublicKey(h(sk)));
      return sign(secNonce, h(sk), ctx, aggNonce, msg);
    });
    expect(psigs.map(hex)).toEqual(s.partial_sigs_sorted);
    psigs.forEach((psig, i) =>
      expect(partialSigVerify(psig, pubNonces[i] as Uint8Array, i, ctx, aggNonce, msg)).toBe(true),
    );
    const sig = partialSigAgg(psigs, ctx, aggNonce, msg, pubNonces);
    expect(hex(sig)).toBe(s.sig);
    expect(schnorrVerify(sig, msg, ctx.signingPublicKey)).toBe(true);
  });

  it('completes a fresh-nonce 5-of-5 vault session end to end', () => {
    const sks = [1, 2, 3, 4, 5].map((i) => h(i.toString(16).padStart(64, '0')));
    const ctx = applyTaprootTweak(keyAgg(sks.map(getPublicKey)));
    const msg = h('ab'.repeat(32));
    const signers = ctx.pubkeys.map(
      (pk) => sks.find((sk) => hex(getPublicKey(sk)) === hex(pk)) as Uint8Array,
    );
    const nonces = signers.map((sk) =>
      nonceGen({
        secretKey: sk,
        publicKey: getPublicKey(sk),
        aggregatePublicKey: ctx.aggregatePublicKey,
        message: msg,
      }),
    );
    const aggNonce = nonceAgg(nonces.map((n) => n.pubNonce));
    const psigs = signers.map((sk, i) => sign(nonces[i]!.secNonce, sk, ctx, aggNonce, msg));
    const sig = partialSigAgg(
      psigs,
      ctx,
      aggNonce,
      msg,
      nonces.map((n) => n.pubNonce),
    );
    expect(schnorrVerify(sig, msg, ctx.signingPublicKey)).toBe(true);
  });

  it('signs several inputs with one SigningKey exactly as with the raw key', () => {
    const sks = [h('41'.repeat(32)), h('42'.repeat(32)), h('43'.repeat(32))];
    const ctx = applyTaprootTweak(keyAgg(sks.map(getPublicKey)));
    const signers = ctx.pubkeys.map(
      (pk) => sks.find((sk) => hex(getPublicKey(sk)) === hex(pk)) as Uint8Array,
    );
    const keys = signers.map((sk) => new SigningKey(sk));
    expect(keys.map((k) => hex(k.publicKey))).toEqual(ctx.pubkeys.map(hex));
    for (const msg of [h('01'.repeat(32)), h('02'.repeat(32))]) {
      const nonces = signers.map((sk, i) =>
        nonceGen({ secretKey: sk, publicKey: ctx.pubkeys[i]!, message: msg }),
      );
      const pubNonces = nonces.map((n) => n.pubNonce);
      const aggNonce = nonceAgg(pubNonces);
      // Signer 0 (who carries the tweak term) uses the raw key, the others their SigningKey.
      const psigs = signers.map((sk, i) =>
        sign(nonces[i]!.secNonce, i === 0 ? sk : keys[i]!, ctx, aggNonce, msg),
      );
      psigs.forEach((p, i) =>
        expect(partialSigVerify(p, pubNonces[i]!, i, ctx, aggNonce, msg)).toBe(true),
      );
      const sig = partialSigAgg(psigs, ctx, aggNonce, msg, pubNonces);
      expect(schnorrVerify(sig, msg, ctx.signingPublicKey)).toBe(true);
    }
    // The context's table-based check agrees with plain Lotus Schnorr verification.
    const msg = h('03'.repeat(32));
    const nonces = signers.map((sk, i) => nonceGen({ secretKey: sk, publicKey: ctx.pubkeys[i]! }));
    const aggNonce = nonceAgg(nonces.map((n) => n.pubNonce));
    const sig = partialSigAgg(
      signers.map((sk, i) => sign(nonces[i]!.secNonce, sk, ctx, aggNonce, msg)),
      ctx,
      aggNonce,
      msg,
    );
    const variants = [
      sig,
      h('ff'.repeat(32) + hex(sig.subarray(32))),
      h(hex(sig.subarray(0, 32)) + 'ff'.repeat(32)),
    ];
    for (let bit = 0; bit < 512; bit += 37) {
      const flipped = sig.slice();
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
      variants.push(flipped);
    }
    for (const v of variants)
      expect(ctx.verifies(v, msg)).toBe(schnorrVerify(v, msg, ctx.signingPublicKey));
    expect(ctx.verifies(sig, msg)).toBe(true);
    expect(ctx.verifies(sig, h('04'.repeat(32)))).toBe(false);
    expect(() => JSON.stringify({ key: keys[0] })).toThrow(/never be serialised/);
    expect(String(keys[0])).toBe('[SigningKey]');
    expect(() => new SigningKey(new Uint8Array(32))).toThrow(/out of range/);
  });

  it('derives the same nonces from a SigningKey as from the raw key', () => {
    const sk = h('51'.repeat(32));
    const key = new SigningKey(sk);
    const rand = h('52'.repeat(32));
    const input = { publicKey: key.publicKey, message: h('53'.repeat(32)) };
    const fromKey = nonceGenWithRand(rand, { ...input, secretKey: key });
    expect(hex(fromKey.pubNonce)).toBe(
      hex(nonceGenWithRand(rand, { ...input, secretKey: sk }).pubNonce),
    );
    // A public key that is not the SigningKey's own is still parsed and refused when invalid.
    const bad = key.publicKey.slice();
    bad[0] = 0x05;
    expect(() => nonceGenWithRand(rand, { secretKey: key, publicKey: bad })).toThrow(
      /33 bytes|point/,
    );
  });

  it('refuses to release a partial signature that does not match the vault key it was built from', () => {
    const sks = [h('61'.repeat(32)), h('62'.repeat(32))];
    const good = keyAgg(sks.map(getPublicKey));
    const msg = h('63'.repeat(32));
    const signer = new SigningKey(sks[0]!);
    const index = good.indexOf(signer.publicKey);
    // The context's stored point for this member is corrupted (another key's point): the share
    // s − k no longer matches a_i·P_i, so the fault check must stop the partial from leaving.
    const points = [...good.points];
    points[index] = points[1 - index]!;
    const corrupted = new KeyAggContext({ ...good.groupParts(), points });
    const mine = nonceGen({ secretKey: signer, publicKey: signer.publicKey, message: msg });
    const other = nonceGen({ publicKey: good.pubkeys[1 - index]!, message: msg });
    const pubNonces =
      index === 0 ? [mine.pubNonce, other.pubNonce] : [other.pubNonce, mine.pubNonce];
    const aggNonce = nonceAgg(pubNonces);
    expect(() => sign(mine.secNonce, signer, corrupted, aggNonce, msg)).toThrow(
      /own partial signature failed verification/,
    );
    // The nonce is spent all the same: a retry cannot sign with it under another challenge.
    expect(mine.secNonce.used).toBe(true);
    // The same signer with the intact context signs fine.
    const fresh = nonceGen({ secretKey: signer, publicKey: signer.publicKey, message: msg });
    const again = index === 0 ? [fresh.pubNonce, other.pubNonce] : [other.pubNonce, fresh.pubNonce];
    const psig = sign(fresh.secNonce, signer, good, nonceAgg(again), msg);
    expect(partialSigVerify(psig, fresh.pubNonce, index, good, nonceAgg(again), msg)).toBe(true);
  });

  it('never produces the same nonce twice and refuses to sign twice with one', () => {
    const sk = h('11'.repeat(32));
    const pk = getPublicKey(sk);
    const ctx = keyAgg([pk, getPublicKey(h('22'.repeat(32)))]);
    const msg = new Uint8Array(32);
    const a = nonceGen({ secretKey: sk, publicKey: pk, message: msg });
    const b = nonceGen({ secretKey: sk, publicKey: pk, message: msg });
    expect(hex(a.pubNonce)).not.toBe(hex(b.pubNonce));
    const aggNonce = nonceAgg([a.pubNonce, b.pubNonce]);
    sign(a.secNonce, sk, ctx, aggNonce, msg);
    expect(a.secNonce.used).toBe(true);
    expect(() => sign(a.secNonce, sk, ctx, aggNonce, msg)).toThrow(
      expect.objectContaining({ name: 'NonceReuseError' }),
    );
    expect(() => JSON.stringify({ nonce: b.secNonce })).toThrow();
  });

  it('names the signer whose partial signature is invalid, and rejects s ≥ n', () => {
    const s = sessions.find(
      (x) => x.kind === 'key-only' && x.sorted_pubkeys.length === 3,
    ) as Session;
    const ctx = contextFor(s);
    const pubNonces = s.pubnonces_sorted.map(([a, b]) => h(a + b));
    const aggNonce = nonceAgg(pubNonces);
    const psigs = s.partial_sigs_sorted.map(h);
    const tampered = psigs.map((p) => p.slice());
    const victim = tampered[2] as Uint8Array;
    victim[31] = (victim[31] as number) ^ 1;
    expect(() => partialSigAgg(tampered, ctx, aggNonce, h(s.msg), pubNonces)).toThrow(
      expect.objectContaining({
        name: 'InvalidContributionError',
        signerIndex: 2,
        contribution: 'psig',
      }),
    );
    expect(partialSigVerify(h('ff'.repeat(32)), pubNonces[1]!, 1, ctx, aggNonce, h(s.msg))).toBe(
      false,
    );
    // Signer 0's partial carries e·t: it does not verify for signer 1's slot, nor untweaked.
    expect(partialSigVerify(psigs[0]!, pubNonces[0]!, 1, ctx, aggNonce, h(s.msg))).toBe(false);
  });

  it('refuses a signer who is not a member and a nonce made for another key', () => {
    const sks = [h('31'.repeat(32)), h('32'.repeat(32))];
    const ctx = keyAgg(sks.map(getPublicKey));
    const outsider = h('33'.repeat(32));
    const n = nonceGen({ secretKey: outsider, publicKey: getPublicKey(outsider) });
    const other = nonceGen({ publicKey: getPublicKey(sks[1]!) });
    const aggNonce = nonceAgg([n.pubNonce, other.pubNonce]);
    expect(() => sign(n.secNonce, outsider, ctx, aggNonce, new Uint8Array(32))).toThrow(
      /not a member/,
    );
    expect(() => sign(other.secNonce, sks[0]!, ctx, aggNonce, new Uint8Array(32))).toThrow(
      /different key/,
    );
  });
});

describe('MuSig2 nonces (BIP327 vectors that apply to Lotus)', () => {
  it('generates the BIP327 nonce_gen outputs from the same inputs', () => {
    const v = loadVectors<{
      test_cases: {
        rand_: string;
        sk: string | null;
        pk: string;
        aggpk: string | null;
        msg: string | null;
        extra_in: string | null;
        expected_secnonce: string;
        expected_pubnonce: string;
      }[];
    }>('bip327/nonce_gen_vectors.json');
    for (const c of v.test_cases) {
      const { secNonce, pubNonce } = nonceGenWithRand(h(c.rand_), {
        ...(c.sk ? { secretKey: h(c.sk) } : {}),
        publicKey: h(c.pk),
        ...(c.aggpk ? { aggregatePublicKey: h(c.aggpk) } : {}),
        ...(c.msg !== null ? { message: h(c.msg) } : {}),
        ...(c.extra_in ? { extraInput: h(c.extra_in) } : {}),
      });
      expect(hex(pubNonce).toUpperCase()).toBe(c.expected_pubnonce);
      const [k1, k2] = secNonce.consume();
      expect(
        (k1.toString(16).padStart(64, '0') + k2.toString(16).padStart(64, '0')).toUpperCase(),
      ).toBe(c.expected_secnonce.slice(0, 128));
    }
  });

  it('aggregates BIP327 nonce_agg vectors, including the infinity encoding, and names bad nonces', () => {
    const v = loadVectors<{
      pnonces: string[];
      valid_test_cases: { pnonce_indices: number[]; expected: string }[];
      error_test_cases: { pnonce_indices: number[]; error: { signer: number } }[];
    }>('bip327/nonce_agg_vectors.json');
    for (const c of v.valid_test_cases) {
      expect(
        hex(nonceAgg(c.pnonce_indices.map((i) => h(v.pnonces[i] as string)))).toUpperCase(),
      ).toBe(c.expected);
    }
    for (const c of v.error_test_cases) {
      expect(() => nonceAgg(c.pnonce_indices.map((i) => h(v.pnonces[i] as string)))).toThrow(
        expect.objectContaining({ name: 'InvalidContributionError', signerIndex: c.error.signer }),
      );
    }
  });
});
