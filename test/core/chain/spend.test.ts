import { describe, expect, it } from 'vitest';
import { hash160, sha256d } from '../../../src/core/crypto/hash.ts';
import {
  ecdsaVerify,
  getPublicKey,
  schnorrVerify,
  tweakPublicKey,
} from '../../../src/core/crypto/index.ts';
import {
  InsufficientFundsError,
  type Utxo,
  maxSendable,
  selectCoins,
} from '../../../src/core/chain/coin-selection.ts';
import { estimateSize } from '../../../src/core/chain/fees.ts';
import { regtest } from '../../../src/core/chain/network.ts';
import type { PolicyError } from '../../../src/core/chain/policy.ts';
import { assertStandard, dustThreshold, minRelayFee } from '../../../src/core/chain/policy.ts';
import { parseScript } from '../../../src/core/chain/script.ts';
import { sighashForkId, sighashLotus } from '../../../src/core/chain/sighash.ts';
import { buildUnsignedTx, signTransaction } from '../../../src/core/chain/signer.ts';
import { opReturnScript, p2pkhScript, taprootScript } from '../../../src/core/chain/templates.ts';
import { txSize } from '../../../src/core/chain/transaction.ts';
import {
  parseUnsignedSpend,
  serializeUnsignedSpend,
  summarizeSpend,
} from '../../../src/core/chain/unsigned-spend.ts';

const sk = new Uint8Array(32).fill(7);
const pub = getPublicKey(sk);
const p2pkh = p2pkhScript(hash160(pub));
const taproot = taprootScript(tweakPublicKey(pub));
const replay = { active: false };

let counter = 0;
function utxo(value: bigint, script = taproot): Utxo {
  const txid = new Uint8Array(32);
  txid[0] = ++counter;
  txid[1] = counter >> 8;
  return { outpoint: { txid, vout: 0 }, value, script };
}

describe('policy and fees', () => {
  it('computes dust per output type: 546 P2PKH, 579 Taproot, 678 with state, 0 OP_RETURN', () => {
    expect(dustThreshold({ script: p2pkh })).toBe(546n);
    expect(dustThreshold({ script: taproot })).toBe(579n);
    expect(dustThreshold({ script: taprootScript(tweakPublicKey(pub), new Uint8Array(32)) })).toBe(
      678n,
    );
    expect(dustThreshold({ script: opReturnScript([new Uint8Array(10)]) })).toBe(0n);
  });

  it('sizes a 1-in/1-out Taproot key-path spend to P2PKH at exactly 151 bytes, signed', () => {
    const coin = utxo(100_000n);
    const tx = buildUnsignedTx([coin], [{ value: 99_849n, script: p2pkh }]);
    const signed = signTransaction(tx, [coin], () => sk, { network: regtest, replay });
    expect(estimateSize(['taproot-keypath'], [p2pkh])).toBe(151);
    expect(estimateSize(['taproot-keypath'], [taproot])).toBe(162);
    expect(txSize(signed)).toBe(151);
    expect(() => assertStandard(signed, 151n)).not.toThrow();
    expect(() => assertStandard(signed, 150n)).toThrow(expect.objectContaining({ reason: 'fee' }));
  });

  it('refuses dust, oversized or too many OP_RETURNs, and non-standard versions', () => {
    const coin = utxo(100_000n);
    const base = (outputs: { value: bigint; script: Uint8Array }[], version = 2) => ({
      ...buildUnsignedTx([coin], outputs),
      version,
      inputs: [{ prevout: coin.outpoint, scriptSig: new Uint8Array(66), sequence: 0xffffffff }],
    });
    const reason = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return (e as PolicyError).reason;
      }
    };
    expect(reason(() => assertStandard(base([{ value: 578n, script: taproot }])))).toBe('dust');
    expect(
      reason(() =>
        assertStandard(base([{ value: 0n, script: opReturnScript([new Uint8Array(221)]) }])),
      ),
    ).toBe('scriptpubkey');
    const four = Array.from({ length: 4 }, () => ({
      value: 0n,
      script: opReturnScript([new Uint8Array(4)]),
    }));
    expect(reason(() => assertStandard(base([{ value: 1000n, script: taproot }, ...four])))).toBe(
      'multi-op-return',
    );
    expect(reason(() => assertStandard(base([{ value: 1000n, script: taproot }], 3)))).toBe(
      'version',
    );
    expect(() =>
      assertStandard(
        base([
          { value: 579n, script: taproot },
          { value: 0n, script: opReturnScript([new Uint8Array(200)]) },
        ]),
      ),
    ).not.toThrow();
  });
});

describe('coin selection', () => {
  it('pays exactly without change when a coin fits, leaving the small excess as fee', () => {
    const coins = [utxo(50_000n), utxo(10_151n), utxo(7_000n)];
    const s = selectCoins(coins, [{ value: 10_000n, script: p2pkh }], { changeScript: taproot });
    expect(s.change).toBe(0n);
    expect(s.inputs).toEqual([coins[1]]);
    expect(s.fee).toBe(151n);
  });

  it('holds its invariants on random wallets: fee ≥ relay minimum, change never dust', () => {
    for (let round = 0; round < 300; round++) {
      const coins = Array.from({ length: 1 + (round % 9) }, (_, i) =>
        utxo(BigInt(600 + ((round * 7919 + i * 104729) % 400_000)), i % 2 ? p2pkh : taproot),
      );
      const total = coins.reduce((s, c) => s + c.value, 0n);
      const amount = BigInt(579 + ((round * 31337) % Number(total)));
      const feePerByte = BigInt(1 + (round % 3));
      try {
        const s = selectCoins(coins, [{ value: amount, script: p2pkh }], {
          changeScript: taproot,
          feePerByte,
        });
        const outputs = [
          { value: amount, script: p2pkh },
          ...(s.change > 0n ? [{ value: s.change, script: taproot }] : []),
        ];
        const signed = signTransaction(buildUnsignedTx(s.inputs, outputs), s.inputs, () => sk, {
          network: regtest,
          replay,
        });
        const inTotal = s.inputs.reduce((a, c) => a + c.value, 0n);
        expect(inTotal - amount - s.change).toBe(s.fee);
        expect(s.fee).toBeGreaterThanOrEqual(minRelayFee(txSize(signed)) * feePerByte);
        expect(txSize(signed)).toBeLessThanOrEqual(s.size);
        if (s.change > 0n) expect(s.change).toBeGreaterThanOrEqual(579n);
      } catch (err) {
        expect(err).toBeInstanceOf(InsufficientFundsError);
        expect((err as InsufficientFundsError).missing).toBeGreaterThan(0n);
      }
    }
  });

  it('says how much is missing, in XPI, and keeps the sats for callers', () => {
    const coins = [utxo(1_000n), utxo(2_000n)];
    const err = (() => {
      try {
        selectCoins(coins, [{ value: 5_000n, script: taproot }], { changeScript: taproot });
      } catch (e) {
        return e as InsufficientFundsError;
      }
    })();
    expect(err?.name).toBe('InsufficientFundsError');
    const missing =
      5_000n + BigInt(estimateSize(['taproot-keypath', 'taproot-keypath'], [taproot])) - 3_000n;
    expect(err?.missing).toBe(missing);
    expect(err?.message).toBe(
      `Insufficient funds: 0.00${missing} XPI short (including the network fee)`,
    );
    expect(new InsufficientFundsError(1_000_044n).message).toMatch(/: 1\.000044 XPI short/);
    expect(new InsufficientFundsError(2_000_000n).message).toMatch(/: 2 XPI short/);
  });

  it('computes the max button amount: everything minus the exact fee', () => {
    const coins = [utxo(10_000n), utxo(20_000n, p2pkh)];
    const size = estimateSize(['taproot-keypath', 'p2pkh-schnorr'], [taproot]);
    expect(maxSendable(coins, taproot)).toBe(30_000n - BigInt(size));
  });
});

describe('single-sig signing', () => {
  it('signs P2PKH with Schnorr over FORKID and with ECDSA, and Taproot over LOTUS key path', () => {
    const coins = [utxo(20_000n, p2pkh), utxo(30_000n, taproot)];
    const tx = buildUnsignedTx(coins, [{ value: 49_000n, script: p2pkh }]);
    for (const ecdsa of [false, true]) {
      const signed = signTransaction(tx, coins, () => sk, { network: regtest, replay, ecdsa });
      const [sigPush, keyPush] = parseScript(signed.inputs[0]!.scriptSig);
      const sig = sigPush!.data!;
      expect(sig.at(-1)).toBe(0x41);
      const digest = sighashForkId(tx, 0, p2pkh, 20_000n, 0x41);
      expect(
        ecdsa
          ? ecdsaVerify(sig.subarray(0, -1), digest, keyPush!.data!)
          : schnorrVerify(sig.subarray(0, -1), digest, keyPush!.data!),
      ).toBe(true);
      const [tapPush] = parseScript(signed.inputs[1]!.scriptSig);
      expect(signed.inputs[1]!.scriptSig[0]).toBe(0x41);
      expect(
        schnorrVerify(
          tapPush!.data!.subarray(0, 64),
          sighashLotus(tx, 1, coins, 0x61),
          tweakPublicKey(pub),
        ),
      ).toBe(true);
    }
  });

  it('signs P2PKH over SIGHASH_LOTUS with execution data (spend type 2), not as a key path', () => {
    const coins = [utxo(20_000n, p2pkh)];
    const tx = buildUnsignedTx(coins, [{ value: 19_000n, script: p2pkh }]);
    const signed = signTransaction(tx, coins, () => sk, {
      network: regtest,
      replay,
      p2pkhLotus: true,
    });
    const sig = parseScript(signed.inputs[0]!.scriptSig)[0]!.data!;
    const right = sighashLotus(tx, 0, coins, 0x61, {
      codeSeparatorPos: 0xffffffff,
      executedScriptHash: sha256d(p2pkh),
    });
    const wrongKeyPath = sighashLotus(tx, 0, coins, 0x61);
    expect(schnorrVerify(sig.subarray(0, 64), right, pub)).toBe(true);
    expect(schnorrVerify(sig.subarray(0, 64), wrongKeyPath, pub)).toBe(false);
  });

  it('refuses inputs it has no matching key for', () => {
    const coins = [utxo(20_000n, p2pkh)];
    const tx = buildUnsignedTx(coins, [{ value: 19_000n, script: p2pkh }]);
    expect(() =>
      signTransaction(tx, coins, () => new Uint8Array(32).fill(8), { network: regtest, replay }),
    ).toThrow(expect.objectContaining({ name: 'SigningError' }));
  });
});

describe('unsigned spend container', () => {
  const coins = [utxo(40_000n), utxo(25_000n, p2pkh)];
  const spend = {
    network: regtest,
    tx: buildUnsignedTx(coins, [
      { value: 60_000n, script: p2pkh },
      { value: 0n, script: opReturnScript([new TextEncoder().encode('rent')]) },
    ]),
    spent: coins.map(({ value, script }) => ({ value, script })),
    hashType: 0x61,
  };

  it('round-trips byte for byte and summarises outputs and fee for approval', () => {
    const bytes = serializeUnsignedSpend(spend);
    const parsed = parseUnsignedSpend(bytes);
    expect(serializeUnsignedSpend(parsed)).toEqual(bytes);
    expect(parsed.network.name).toBe('regtest');
    const summary = summarizeSpend(parsed);
    expect(summary.fee).toBe(5_000n);
    expect(summary.outputs[0]?.address).toMatch(/^lotusR/);
    expect(summary.outputs[1]?.opReturn).toBe('0472656e74');
  });

  it('refuses truncated, versioned-ahead, inconsistent or signed data with DecodeError', () => {
    const bytes = serializeUnsignedSpend(spend);
    const cases = [
      bytes.subarray(0, bytes.length - 1),
      Uint8Array.from([...bytes.subarray(0, 4), 9, ...bytes.subarray(5)]),
      Uint8Array.from([0, ...bytes.subarray(1)]),
      new Uint8Array([...bytes, 0]),
    ];
    for (const bad of cases)
      expect(() => parseUnsignedSpend(bad)).toThrow(
        expect.objectContaining({ name: 'DecodeError' }),
      );
    const signed = {
      ...spend,
      tx: {
        ...spend.tx,
        inputs: spend.tx.inputs.map((i) => ({ ...i, scriptSig: Uint8Array.of(1) })),
      },
    };
    expect(() => serializeUnsignedSpend(signed)).toThrow(
      expect.objectContaining({ name: 'DecodeError' }),
    );
    const overflow = { ...spend, spent: [{ value: 2n ** 62n, script: taproot }, spend.spent[1]!] };
    expect(() => serializeUnsignedSpend(overflow)).toThrow(
      expect.objectContaining({ name: 'AmountError' }),
    );
  });
});
