/**
 * Recovery of threshold vaults: when a coin opens (lotusd's BIP68 count, checked against
 * finality.ts and the b-csv10 rows of lotusd-node-judged.json), the single-key recovery spend the
 * interpreter accepts only at nSequence = afterBlocks, and the refresh the members propose before
 * a coin opens.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { checkSequenceLocks } from '../../../src/core/chain/finality.ts';
import { verifyTransaction } from '../../../src/core/chain/interpreter.ts';
import { regtest } from '../../../src/core/chain/network.ts';
import { dustThreshold } from '../../../src/core/chain/policy.ts';
import { p2pkhScript, opReturnScript } from '../../../src/core/chain/templates.ts';
import { type Transaction, txSize } from '../../../src/core/chain/transaction.ts';
import { serializeUnsignedSpend } from '../../../src/core/chain/unsigned-spend.ts';
import { getPublicKey } from '../../../src/core/crypto/schnorr.ts';
import { checkSpend } from '../../../src/core/p2p/spend-check.ts';
import {
  MIN_REFRESH_MARGIN_BLOCKS,
  type RecoveryCoin,
  RecoveryError,
  RecoveryNotOpenError,
  SeveralKeyRecoveryError,
  buildRecoverySpend,
  buildRefreshSpend,
  coinsNeedingRefresh,
  planRecoverySpend,
  recoveryStatus,
  refreshMarginBlocks,
  signRecoverySpend,
} from '../../../src/core/wallet/vault-recovery.ts';
import { maxScriptSigBytes } from '../../../src/core/wallet/vault-spend.ts';
import { type Vault, createVault } from '../../../src/core/wallet/vault.ts';

const secret = (n: number) => hexToBytes(n.toString(16).padStart(64, '0'));
const members = [1, 2, 3].map((n) => getPublicKey(secret(n)));
const RECOVERY_SECRET = secret(41);
const recoveryKey = getPublicKey(RECOVERY_SECRET);
const payee = p2pkhScript(new Uint8Array(20).fill(7));

/** A 2-of-3 vault whose recovery key spends alone after `afterBlocks`. */
const vaultWith = (afterBlocks: number): Vault =>
  createVault(members, regtest, 'home', {
    threshold: 2,
    recovery: { afterBlocks, keys: [recoveryKey], threshold: 1 },
  });

const vault10 = vaultWith(10);

const coin = (n: number, blockHeight: number, value = 5_000_000n): RecoveryCoin => ({
  txid: n.toString(16).padStart(64, '0'),
  vout: n % 3,
  value,
  blockHeight,
});

/** The node's own verdict for a one-input spend at nSequence `lock` of a coin confirmed at h. */
function nodeAccepts(lock: number, confirmedAt: number, tipHeight: number): boolean {
  const tx: Transaction = {
    version: 2,
    inputs: [
      {
        prevout: { txid: new Uint8Array(32), vout: 0 },
        scriptSig: new Uint8Array(),
        sequence: lock,
      },
    ],
    outputs: [],
    locktime: 0,
  };
  return checkSequenceLocks(tx, { height: tipHeight, medianTimePast: 0 }, [confirmedAt]).ok;
}

describe('recoveryStatus', () => {
  it('opens a CSV-10 coin confirmed at 111 with its 10th confirmation, as the node did', () => {
    // b-csv10-seq10-*: refused at tips 111 (1 conf) and 119 (9), accepted at 120 (10), mined in 121.
    const at = (tip: number) => recoveryStatus(vault10, [coin(1, 111)], tip)[0];
    expect(at(111)).toMatchObject({ opensAtHeight: 121, blocksLeft: 9, open: false });
    expect(at(119)).toMatchObject({ opensAtHeight: 121, blocksLeft: 1, open: false });
    expect(at(119)?.about).toBe('in 1 block, about 2 minutes');
    expect(at(120)).toMatchObject({
      opensAtHeight: 121,
      blocksLeft: 0,
      open: true,
      about: 'open now',
    });
    expect(at(500)).toMatchObject({ blocksLeft: 0, open: true });
  });

  it('agrees with finality.ts on every tip around the boundary', () => {
    for (const afterBlocks of [1, 2, 10, 144]) {
      const vault = vaultWith(afterBlocks);
      for (let tip = 200; tip <= 200 + afterBlocks + 2; tip++) {
        const [status] = recoveryStatus(vault, [coin(1, 200)], tip);
        expect(status?.open).toBe(nodeAccepts(afterBlocks, 200, tip));
        expect(status?.blocksLeft).toBe(Math.max(0, 200 + afterBlocks - 1 - tip));
      }
    }
  });

  it('says how long is left in blocks and time', () => {
    const vault = vaultWith(21_600);
    const [soon, later] = recoveryStatus(vault, [coin(1, 1_000), coin(2, 3_000)], 22_439);
    // 1,000 + 21,600 − 22,440 = 160 blocks (320 minutes); 2,160 blocks are 3 days.
    expect(soon?.about).toBe('in 160 blocks, about 5 hours');
    expect(later).toMatchObject({ blocksLeft: 2_160, about: 'in 2,160 blocks, about 3 days' });
    expect(recoveryStatus(vault, [coin(3, 1_000)], 1_000)[0]?.about).toBe(
      'in 21,599 blocks, about 4 weeks',
    );
  });

  it('keeps an unconfirmed coin closed until it confirms', () => {
    const [status] = recoveryStatus(vault10, [coin(1, -1)], 300);
    expect(status).toEqual({
      coin: coin(1, -1),
      confirmed: false,
      opensAtHeight: 311,
      blocksLeft: 10,
      open: false,
      about: 'after it confirms',
    });
    // Even a one-block lock: lotusd counts a mempool coin as confirming in the next block.
    expect(recoveryStatus(vaultWith(1), [coin(1, -1)], 300)[0]?.open).toBe(false);
    expect(nodeAccepts(1, 301, 300)).toBe(false);
  });

  it('refuses a vault without recovery and impossible heights', () => {
    const plain = createVault(members, regtest, 'plain', { threshold: 2 });
    expect(() => recoveryStatus(plain, [coin(1, 5)], 10)).toThrow(
      expect.objectContaining({ name: 'RecoveryError', reason: 'no-recovery-path' }),
    );
    expect(() => recoveryStatus(vault10, [coin(1, -2)], 10)).toThrow(RecoveryError);
    expect(() => recoveryStatus(vault10, [coin(1, 5)], -1)).toThrow(RecoveryError);
    expect(() => recoveryStatus(vault10, [coin(1, 5)], 1.5)).toThrow(RecoveryError);
  });
});

describe('buildRecoverySpend', () => {
  const request = (coins: RecoveryCoin[], tipHeight: number) => ({
    vault: vault10,
    keyIndex: 0,
    coins,
    tipHeight,
    to: payee,
  });

  it('sweeps open coins of a 2-of-3 vault through the 1-of-1 recovery leaf', () => {
    const coins = [coin(1, 100), coin(2, 105, 7_000_000n)];
    const signed = buildRecoverySpend({
      ...request(coins, 114),
      secretKey: RECOVERY_SECRET,
      replayProtection: false,
    });
    expect(signed.tx.version).toBe(2);
    expect(signed.tx.inputs.map((i) => i.sequence)).toEqual([10, 10]);
    expect(signed.tx.outputs).toHaveLength(1);
    expect(bytesToHex(signed.tx.outputs[0]?.script as Uint8Array)).toBe(bytesToHex(payee));
    // 1 sat per byte of the signed transaction, exactly.
    expect(signed.fee).toBe(BigInt(txSize(signed.tx)));
    expect(signed.tx.outputs[0]?.value).toBe(12_000_000n - signed.fee);
    expect(signed.raw.length).toBe(txSize(signed.tx));
    const spent = coins.map((c) => ({ value: c.value, script: vault10.script }));
    expect(verifyTransaction(signed.tx, spent, { replay: { active: false } })).toEqual({
      ok: true,
    });
    // A signature belongs to one side of the replay-protection switch.
    const other = verifyTransaction(signed.tx, spent, { replay: { active: true } });
    expect(other.ok).toBe(false);
  });

  it('signs one plan for either replay side under one txid', () => {
    const plan = planRecoverySpend(request([coin(1, 100)], 200));
    const off = signRecoverySpend(plan, RECOVERY_SECRET, false);
    const on = signRecoverySpend(plan, RECOVERY_SECRET, true);
    expect(on.txid).toBe(off.txid);
    expect(bytesToHex(on.raw)).not.toBe(bytesToHex(off.raw));
    expect(verifyTransaction(on.tx, plan.spent, { replay: { active: true } })).toEqual({
      ok: true,
    });
    expect(on.replayProtection).toBe(true);
  });

  it('fails the leaf (UNSATISFIED_LOCKTIME) when nSequence is below afterBlocks', () => {
    const plan = planRecoverySpend(request([coin(1, 100)], 200));
    const signed = signRecoverySpend(plan, RECOVERY_SECRET, false);
    const lowered = {
      ...signed.tx,
      inputs: signed.tx.inputs.map((i) => ({ ...i, sequence: 9 })),
    };
    expect(verifyTransaction(lowered, plan.spent)).toMatchObject({
      ok: false,
      reason: 'UNSATISFIED_LOCKTIME',
    });
    // Signed over the lower nSequence, the spend is refused before it leaves the wallet.
    const forced = {
      ...plan,
      tx: { ...plan.tx, inputs: plan.tx.inputs.map((i) => ({ ...i, sequence: 9 })) },
    };
    expect(() => signRecoverySpend(forced, RECOVERY_SECRET, false)).toThrow(
      expect.objectContaining({
        reason: 'invalid-spend',
        message: expect.stringMatching(/UNSATISFIED_LOCKTIME/),
      }),
    );
  });

  it('refuses coins that are not open, naming when each opens', () => {
    const early = [coin(1, 100), coin(2, 105), coin(3, -1)];
    let refused: unknown;
    try {
      planRecoverySpend(request(early, 109));
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(RecoveryNotOpenError);
    const error = refused as RecoveryNotOpenError;
    expect(error.name).toBe('RecoveryNotOpenError');
    expect(error.reason).toBe('not-open');
    expect(error.coins.map((s) => [s.coin.blockHeight, s.blocksLeft])).toEqual([
      [105, 5],
      [-1, 10],
    ]);
    expect(error.message).toMatch(/2 coins are not open.*in 5 blocks, about 10 minutes/);
  });

  it('refuses recovery by several keys together, for now', () => {
    const vault = createVault(members, regtest, 'two keys', {
      threshold: 2,
      recovery: { afterBlocks: 10, keys: [recoveryKey, getPublicKey(secret(42))], threshold: 2 },
    });
    expect(() => planRecoverySpend({ ...request([coin(1, 100)], 200), vault })).toThrow(
      SeveralKeyRecoveryError,
    );
    expect(() => planRecoverySpend({ ...request([coin(1, 100)], 200), vault })).toThrow(
      /not supported yet/,
    );
  });

  it('lets either key of a 1-of-2 recovery spend alone, each with its own leaf', () => {
    const second = secret(42);
    const vault = createVault(members, regtest, 'either', {
      threshold: 2,
      recovery: { afterBlocks: 10, keys: [recoveryKey, getPublicKey(second)], threshold: 1 },
    });
    const index = vault.recovery?.keys.findIndex(
      (k) => bytesToHex(k) === bytesToHex(getPublicKey(second)),
    ) as number;
    const base = { ...request([coin(1, 100)], 200), vault };
    const signed = buildRecoverySpend({
      ...base,
      keyIndex: index,
      secretKey: second,
      replayProtection: false,
    });
    const spent = [{ value: 5_000_000n, script: vault.script }];
    expect(verifyTransaction(signed.tx, spent)).toEqual({ ok: true });
    expect(() =>
      buildRecoverySpend({
        ...base,
        keyIndex: 1 - index,
        secretKey: second,
        replayProtection: false,
      }),
    ).toThrow(expect.objectContaining({ reason: 'wrong-key' }));
    expect(() => planRecoverySpend({ ...base, keyIndex: 2 })).toThrow(
      expect.objectContaining({ reason: 'unknown-key' }),
    );
  });

  it('prices at the given fee rate and refuses one below the relay minimum', () => {
    const plan = planRecoverySpend({ ...request([coin(1, 100)], 200), feePerByte: 3n });
    expect(plan.fee).toBe(3n * BigInt(plan.size));
    expect(signRecoverySpend(plan, RECOVERY_SECRET, false).fee).toBe(plan.fee);
    expect(() => planRecoverySpend({ ...request([coin(1, 100)], 200), feePerByte: 0n })).toThrow(
      expect.objectContaining({ reason: 'fee-rate' }),
    );
  });

  it('refuses dust, data outputs, duplicates and coins of another script', () => {
    const plan = planRecoverySpend(request([coin(1, 100)], 200));
    const smallest = plan.fee + dustThreshold({ script: payee });
    expect(planRecoverySpend(request([coin(1, 100, smallest)], 200)).amount).toBe(546n);
    expect(() => planRecoverySpend(request([coin(1, 100, smallest - 1n)], 200))).toThrow(
      expect.objectContaining({ reason: 'dust' }),
    );
    expect(() =>
      planRecoverySpend({
        ...request([coin(1, 100)], 200),
        to: opReturnScript([new Uint8Array(4)]),
      }),
    ).toThrow(expect.objectContaining({ reason: 'bad-destination' }));
    expect(() => planRecoverySpend(request([coin(1, 100), coin(1, 100)], 200))).toThrow(
      expect.objectContaining({ reason: 'duplicate-coin' }),
    );
    expect(() => planRecoverySpend(request([{ ...coin(1, 100), script: payee }], 200))).toThrow(
      expect.objectContaining({ reason: 'foreign-coin' }),
    );
    expect(() => planRecoverySpend(request([], 200))).toThrow(
      expect.objectContaining({ reason: 'no-coins' }),
    );
  });
});

describe('refresh', () => {
  it('warns a tenth of the lock ahead, never less than a day of blocks', () => {
    expect(MIN_REFRESH_MARGIN_BLOCKS).toBe(720);
    expect(refreshMarginBlocks(vaultWith(65_535))).toBe(6_554);
    expect(refreshMarginBlocks(vaultWith(21_600))).toBe(2_160);
    expect(refreshMarginBlocks(vaultWith(7_201))).toBe(721);
    expect(refreshMarginBlocks(vaultWith(7_200))).toBe(720);
    expect(refreshMarginBlocks(vaultWith(10))).toBe(720);
  });

  it('selects the confirmed coins opening within the margin, most urgent first', () => {
    const vault = vaultWith(21_600);
    const tip = 30_000;
    // blocksLeft = h + 21,600 − 30,001
    const atMargin = coin(1, 10_401); // 2,000 left
    const pastMargin = coin(2, 10_402); // 2,001 left
    const open = coin(3, 5_000); // open
    const sooner = coin(4, 9_000); // 599 left
    const pending = coin(5, -1);
    const due = coinsNeedingRefresh(
      vault,
      [atMargin, pastMargin, open, sooner, pending],
      tip,
      2_000,
    );
    expect(due).toEqual([open, sooner, atMargin]);
    expect(coinsNeedingRefresh(vault, [atMargin], tip, 1_999)).toEqual([]);
    expect(coinsNeedingRefresh(vault, [open], tip, 0)).toEqual([open]);
    // The default margin is refreshMarginBlocks (2,160 here).
    expect(coinsNeedingRefresh(vault, [coin(6, 10_561), coin(7, 10_562)], tip)).toEqual([
      coin(6, 10_561),
    ]);
    expect(() => coinsNeedingRefresh(vault, [open], tip, -1)).toThrow(RecoveryError);
  });

  it('pays the coins back to the vault in one output, the fee its largest signed size', () => {
    const vault = vaultWith(21_600);
    const coins = [coin(1, 100), coin(2, 200, 9_000_000n)];
    const spend = buildRefreshSpend(vault, coins);
    expect(spend.tx.outputs).toHaveLength(1);
    expect(bytesToHex(spend.tx.outputs[0]?.script as Uint8Array)).toBe(bytesToHex(vault.script));
    expect(spend.spent.every((o) => bytesToHex(o.script) === bytesToHex(vault.script))).toBe(true);
    const fee = 14_000_000n - (spend.tx.outputs[0]?.value as bigint);
    // The final transaction, every input carrying the largest signing-leaf scriptSig.
    const scriptSig = new Uint8Array(maxScriptSigBytes(vault, true));
    const final = { ...spend.tx, inputs: spend.tx.inputs.map((i) => ({ ...i, scriptSig })) };
    expect(fee).toBe(BigInt(txSize(final)));
    // Members accept it as an ordinary session, on a leaf as on the key path, at 1 sat/byte.
    const checked = checkSpend(vault, serializeUnsignedSpend(spend), false, {}, { leaves: true });
    expect(checked.summary).toMatchObject({
      feeSats: fee,
      feeRate: 1,
      payments: [],
      change: 14_000_000n - fee,
    });
  });

  it('prices an n-of-n vault with recovery on the key path', () => {
    const vault = createVault(members, regtest, 'all', {
      recovery: { afterBlocks: 21_600, keys: [recoveryKey], threshold: 1 },
    });
    const spend = buildRefreshSpend(vault, [coin(1, 100)]);
    const fee = 5_000_000n - (spend.tx.outputs[0]?.value as bigint);
    // version 4 + counts 2 + key-path input 107 + Taproot output 8 + 1 + 36 + locktime 4
    expect(fee).toBe(162n);
    expect(() => checkSpend(vault, serializeUnsignedSpend(spend), false)).not.toThrow();
  });

  it('refuses coins worth less than the fee and a vault output', () => {
    const vault = vaultWith(21_600);
    const fee =
      5_000_000n - (buildRefreshSpend(vault, [coin(1, 100)]).tx.outputs[0]?.value as bigint);
    const dust = dustThreshold({ script: vault.script });
    expect(() => buildRefreshSpend(vault, [coin(1, 100, fee + dust - 1n)])).toThrow(
      expect.objectContaining({ name: 'RecoveryError', reason: 'dust' }),
    );
    expect(buildRefreshSpend(vault, [coin(1, 100, fee + dust)]).tx.outputs[0]?.value).toBe(dust);
  });
});
