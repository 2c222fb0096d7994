/**
 * BIP327's own sign/verify, tweak, sig_agg and key_agg vectors run through Petal's MuSig2 engine
 * with the BIP340 scheme swapped in (musig-scheme.ts). Lotus differs from BIP327 only in the rules
 * that scheme holds, so these vectors check the arithmetic every Lotus vault signature shares:
 * KeyAgg list hashing, nonce aggregation, k1 + b·k2 + e·a·d with its negations, the tweak
 * bookkeeping and naming the culprit. det_sign_vectors.json is not run: Petal has no
 * deterministic signing on purpose (fresh nonces only, see nonceGen).
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  BIP340,
  type KeyAggContext,
  type SecretNonce,
  applyTweak,
  keyAgg,
  nonceAgg,
  partialSigAgg,
  partialSigVerify,
  sign,
} from '../../../src/core/crypto/index.ts';
import { secretNonceFromScalarsForTests } from '../../../src/core/crypto/musig2.ts';
import { loadVectors } from '../../fixtures/vectors.ts';

const h = hexToBytes;
const HEX = (b: Uint8Array) => bytesToHex(b).toUpperCase();
const pick = (all: string[], indices: number[]) => indices.map((i) => h(all[i] as string));

interface ErrorSpec {
  type: 'invalid_contribution' | 'value';
  signer?: number | null;
  contrib?: string;
}

/** BIP327's error kinds in Petal's terms: a named culprit, or a plain input error. */
function expectBip327Error(fn: () => unknown, error: ErrorSpec) {
  if (error.type === 'invalid_contribution' && error.signer !== null) {
    expect(fn).toThrow(
      expect.objectContaining({
        name: 'InvalidContributionError',
        signerIndex: error.signer,
        contribution: error.contrib,
      }),
    );
  } else {
    // "signer: null" blames the coordinator's aggregate nonce, which Petal computes itself: to
    // the engine it is a bad argument, like BIP327's value errors.
    expect(fn).toThrow(
      expect.objectContaining({
        name: expect.stringMatching(/InvalidInputError|NonceReuseError|CryptoError/),
      }),
    );
  }
}

/** A 97-byte BIP327 secnonce (k1 ‖ k2 ‖ pk) as Petal's one-use object; zeroed means used. */
function secretNonce(hex97: string): SecretNonce {
  const bytes = h(hex97);
  const k1 = BigInt(`0x${bytesToHex(bytes.subarray(0, 32))}`);
  const k2 = BigInt(`0x${bytesToHex(bytes.subarray(32, 64))}`);
  if (k1 !== 0n && k2 !== 0n) return secretNonceFromScalarsForTests(k1, k2, bytes.subarray(64));
  // Petal never parses secret nonces from bytes; BIP327's zeroed nonce is one already consumed.
  const used = secretNonceFromScalarsForTests(1n, 1n, bytes.subarray(64));
  used.consume();
  return used;
}

function tweaked(ctx: KeyAggContext, tweaks: Uint8Array[], xonly: boolean[]): KeyAggContext {
  return tweaks.reduce((acc, t, i) => applyTweak(acc, t, xonly[i] as boolean), ctx);
}

interface TweakedKeyVectors {
  pubkeys: string[];
  tweaks: string[];
  error_test_cases: {
    key_indices: number[];
    tweak_indices: number[];
    is_xonly: boolean[];
    error: ErrorSpec;
  }[];
}

/** Both key_agg and tweak vectors list keys and tweaks that must fail to aggregate or apply. */
function expectTweakedKeyErrors(v: TweakedKeyVectors) {
  for (const c of v.error_test_cases)
    expectBip327Error(
      () =>
        tweaked(
          keyAgg(pick(v.pubkeys, c.key_indices), BIP340),
          pick(v.tweaks, c.tweak_indices),
          c.is_xonly,
        ),
      c.error,
    );
}

describe('BIP327 vectors through the engine in BIP340 mode', () => {
  it('key_agg: aggregate keys, and the culprit or value error for bad keys and tweaks', () => {
    const v = loadVectors<{
      pubkeys: string[];
      tweaks: string[];
      valid_test_cases: { key_indices: number[]; expected: string }[];
      error_test_cases: {
        key_indices: number[];
        tweak_indices: number[];
        is_xonly: boolean[];
        error: ErrorSpec;
      }[];
    }>('bip327/key_agg_vectors.json');
    for (const c of v.valid_test_cases)
      expect(HEX(keyAgg(pick(v.pubkeys, c.key_indices), BIP340).signingKeyBytes)).toBe(c.expected);
    expectTweakedKeyErrors(v);
  });

  const sv = loadVectors<{
    sk: string;
    pubkeys: string[];
    secnonces: string[];
    pnonces: string[];
    aggnonces: string[];
    msgs: string[];
    valid_test_cases: {
      key_indices: number[];
      nonce_indices: number[];
      aggnonce_index: number;
      msg_index: number;
      signer_index: number;
      expected: string;
    }[];
    sign_error_test_cases: {
      key_indices: number[];
      aggnonce_index: number;
      msg_index: number;
      secnonce_index: number;
      error: ErrorSpec;
    }[];
    verify_fail_test_cases: {
      sig: string;
      key_indices: number[];
      nonce_indices: number[];
      msg_index: number;
      signer_index: number;
    }[];
    verify_error_test_cases: {
      sig: string;
      key_indices: number[];
      nonce_indices: number[];
      msg_index: number;
      signer_index: number;
      error: ErrorSpec;
    }[];
  }>('bip327/sign_verify_vectors.json');

  it('sign_verify: every valid partial signature, and PartialSigVerify accepts it', () => {
    for (const c of sv.valid_test_cases) {
      const ctx = keyAgg(pick(sv.pubkeys, c.key_indices), BIP340);
      const pubNonces = pick(sv.pnonces, c.nonce_indices);
      const aggNonce = h(sv.aggnonces[c.aggnonce_index] as string);
      // The listed aggnonce is NonceAgg of the listed pnonces (infinity encoding included).
      expect(HEX(nonceAgg(pubNonces))).toBe(HEX(aggNonce));
      const msg = h(sv.msgs[c.msg_index] as string);
      const psig = sign(secretNonce(sv.secnonces[0] as string), h(sv.sk), ctx, aggNonce, msg);
      expect(HEX(psig)).toBe(c.expected);
      expect(
        partialSigVerify(psig, pubNonces[c.signer_index]!, c.signer_index, ctx, aggNonce, msg),
      ).toBe(true);
    }
  });

  it('sign_verify: signing errors name the culprit or refuse the input', () => {
    for (const c of sv.sign_error_test_cases)
      expectBip327Error(
        () =>
          sign(
            secretNonce(sv.secnonces[c.secnonce_index] as string),
            h(sv.sk),
            keyAgg(pick(sv.pubkeys, c.key_indices), BIP340),
            h(sv.aggnonces[c.aggnonce_index] as string),
            h(sv.msgs[c.msg_index] as string),
          ),
        c.error,
      );
  });

  it('sign_verify: wrong partial signatures fail; bad nonces and keys name the culprit', () => {
    const verify = (c: (typeof sv.verify_fail_test_cases)[number]) => {
      const ctx = keyAgg(pick(sv.pubkeys, c.key_indices), BIP340);
      const pubNonces = pick(sv.pnonces, c.nonce_indices);
      const aggNonce = nonceAgg(pubNonces);
      return partialSigVerify(
        h(c.sig),
        pubNonces[c.signer_index]!,
        c.signer_index,
        ctx,
        aggNonce,
        h(sv.msgs[c.msg_index] as string),
      );
    };
    for (const c of sv.verify_fail_test_cases) expect(verify(c)).toBe(false);
    for (const c of sv.verify_error_test_cases) expectBip327Error(() => verify(c), c.error);
  });

  it('tweak: x-only and plain tweaks in sequence, and a tweak ≥ n refused', () => {
    const v = loadVectors<{
      sk: string;
      pubkeys: string[];
      secnonce: string;
      pnonces: string[];
      aggnonce: string;
      tweaks: string[];
      msg: string;
      valid_test_cases: {
        key_indices: number[];
        nonce_indices: number[];
        tweak_indices: number[];
        is_xonly: boolean[];
        signer_index: number;
        expected: string;
      }[];
      error_test_cases: {
        key_indices: number[];
        tweak_indices: number[];
        is_xonly: boolean[];
        error: ErrorSpec;
      }[];
    }>('bip327/tweak_vectors.json');
    const aggNonce = h(v.aggnonce);
    const msg = h(v.msg);
    for (const c of v.valid_test_cases) {
      const pubNonces = pick(v.pnonces, c.nonce_indices);
      expect(HEX(nonceAgg(pubNonces))).toBe(HEX(aggNonce));
      const ctx = tweaked(
        keyAgg(pick(v.pubkeys, c.key_indices), BIP340),
        pick(v.tweaks, c.tweak_indices),
        c.is_xonly,
      );
      const psig = sign(secretNonce(v.secnonce), h(v.sk), ctx, aggNonce, msg);
      expect(HEX(psig)).toBe(c.expected);
      expect(
        partialSigVerify(psig, pubNonces[c.signer_index]!, c.signer_index, ctx, aggNonce, msg),
      ).toBe(true);
    }
    expectTweakedKeyErrors(v);
  });

  it('sig_agg: final BIP340 signatures that verify, and a partial ≥ n blamed', () => {
    const v = loadVectors<{
      pubkeys: string[];
      pnonces: string[];
      tweaks: string[];
      psigs: string[];
      msg: string;
      valid_test_cases: {
        aggnonce: string;
        nonce_indices: number[];
        key_indices: number[];
        tweak_indices: number[];
        is_xonly: boolean[];
        psig_indices: number[];
        expected: string;
      }[];
      error_test_cases: {
        aggnonce: string;
        key_indices: number[];
        tweak_indices: number[];
        is_xonly: boolean[];
        psig_indices: number[];
        error: ErrorSpec;
      }[];
    }>('bip327/sig_agg_vectors.json');
    const msg = h(v.msg);
    const context = (c: { key_indices: number[]; tweak_indices: number[]; is_xonly: boolean[] }) =>
      tweaked(
        keyAgg(pick(v.pubkeys, c.key_indices), BIP340),
        pick(v.tweaks, c.tweak_indices),
        c.is_xonly,
      );
    for (const c of v.valid_test_cases) {
      expect(HEX(nonceAgg(pick(v.pnonces, c.nonce_indices)))).toBe(c.aggnonce);
      const ctx = context(c);
      const sig = partialSigAgg(pick(v.psigs, c.psig_indices), ctx, h(c.aggnonce), msg);
      expect(HEX(sig)).toBe(c.expected);
      expect(ctx.verifies(sig, msg)).toBe(true);
    }
    for (const c of v.error_test_cases)
      expectBip327Error(
        () => partialSigAgg(pick(v.psigs, c.psig_indices), context(c), h(c.aggnonce), msg),
        c.error,
      );
  });
});
