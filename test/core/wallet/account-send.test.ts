/**
 * A single-signature send below its destination's dust limit is refused while planning, before
 * any key is touched, with both amounts in XPI: lotusd rejects such a transaction as `dust`
 * (policy/policy.cpp:108-110), so signing it would only produce a transaction that never relays.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  type Utxo,
  encodeAddress,
  p2pkhScript,
  regtest,
  taprootScript,
} from '../../../src/core/chain/index.ts';
import { getPublicKey, tweakPublicKey } from '../../../src/core/crypto/index.ts';
import {
  DustAmountError,
  SendError,
  assertNotDust,
  planSend,
} from '../../../src/core/wallet/account-send.ts';

const ownScript = taprootScript(tweakPublicKey(getPublicKey(new Uint8Array(32).fill(9))));
const p2pkh = p2pkhScript(randomBytes(20));
const taproot = taprootScript(tweakPublicKey(getPublicKey(randomBytes(32))));
const utxos: Utxo[] = [
  { outpoint: { txid: randomBytes(32), vout: 0 }, value: 1_000_000n, script: ownScript },
];

const plan = (script: Uint8Array, amount: bigint) =>
  planSend({
    to: encodeAddress(script, regtest),
    amount,
    utxos,
    changeScript: ownScript,
    network: regtest,
  });

describe('planSend refuses dust before signing', () => {
  it('refuses 545 sats to a P2PKH address (dust limit 546) with a typed error in XPI', () => {
    const err = (() => {
      try {
        plan(p2pkh, 545n);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DustAmountError);
    expect(err).toBeInstanceOf(SendError);
    expect(err).toMatchObject({
      name: 'DustAmountError',
      reason: 'dust',
      amount: 545n,
      minimum: 546n,
      message:
        '0.000545 XPI is below the smallest amount Lotus relays to this address (0.000546 XPI)',
    });
    expect(plan(p2pkh, 546n).amount).toBe(546n);
  });

  it('uses the destination script’s limit: 579 sats to a Taproot address', () => {
    expect(() => plan(taproot, 578n)).toThrow(
      '0.000578 XPI is below the smallest amount Lotus relays to this address (0.000579 XPI)',
    );
    expect(plan(taproot, 579n).amount).toBe(579n);
  });

  it('assertNotDust is the rule on its own (for callers that build their own outputs)', () => {
    expect(() => assertNotDust(546n, p2pkh)).not.toThrow();
    expect(() => assertNotDust(1n, p2pkh)).toThrow(DustAmountError);
    expect(() => assertNotDust(578n, taproot)).toThrow(/0\.000579 XPI/);
  });
});
