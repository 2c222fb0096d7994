/**
 * A vault spend must be one lotusd relays: measured on a node, sessions paying 545 sats or paying a
 * 100-sat fee were signed by every member and then rejected (`dust`, `min relay fee not met`).
 * checkSpend (run by the proposer before anything leaves, and by every member on receipt) refuses
 * them on the signed size, and finalTransaction re-checks the signed bytes before broadcast.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SIGHASH_ALL,
  SIGHASH_LOTUS,
  type TxOutput,
  buildUnsignedTx,
  opReturnScript,
  p2pkhScript,
  regtest,
  sighashLotus,
  txSize,
  withForkValue,
} from '../../../src/core/chain/index.ts';
import { PolicyError } from '../../../src/core/chain/policy.ts';
import {
  type UnsignedSpend,
  serializeUnsignedSpend,
} from '../../../src/core/chain/unsigned-spend.ts';
import { applyTaprootTweak, keyAgg } from '../../../src/core/crypto/musig2.ts';
import { getPublicKey } from '../../../src/core/crypto/schnorr.ts';
import { signingKeyOf } from '../../../src/core/crypto/signing-key.ts';
import { MessageType } from '../../../src/core/p2p/envelope.ts';
import { ProposalRefusedError } from '../../../src/core/p2p/errors.ts';
import {
  type ProposalPayload,
  decodePayload,
  encodeProposal,
} from '../../../src/core/p2p/messages.ts';
import {
  aggregateNonces,
  finalTransaction,
  makeNonces,
  signInputs,
} from '../../../src/core/p2p/musig-round.ts';
import type { SessionView } from '../../../src/core/p2p/session.ts';
import {
  type CheckedSpend,
  KEYPATH_SCRIPTSIG_BYTES,
  checkSpend,
} from '../../../src/core/p2p/spend-check.ts';
import { sessionIdOf, sighashDigest } from '../../../src/core/p2p/transcript.ts';
import { type Vault, createVault, memberIndex } from '../../../src/core/wallet/vault.ts';
import { type Group, type Tamper, createGroup } from '../../support/signing-group.ts';

const secrets = [randomBytes(32), randomBytes(32)];
const vault = createVault(
  secrets.map((s) => getPublicKey(s)),
  regtest,
  'policy',
);
const payee = p2pkhScript(randomBytes(20));
const taprootPayee = createVault(
  [getPublicKey(randomBytes(32)), getPublicKey(randomBytes(32))],
  regtest,
).script;

/** An unsigned spend of fresh vault coins worth `inputs` into `outputs`. */
function spendOf(v: Vault, inputs: bigint[], outputs: TxOutput[]): UnsignedSpend {
  const utxos = inputs.map((value) => ({
    outpoint: { txid: randomBytes(32), vout: 0 },
    value,
    script: v.script,
  }));
  return {
    network: v.network,
    tx: buildUnsignedTx(utxos, outputs),
    spent: utxos.map((u) => ({ value: u.value, script: u.script })),
    hashType: withForkValue(SIGHASH_ALL | SIGHASH_LOTUS, v.network.forkValue),
  };
}

/** `outputs` funded by one coin, leaving exactly `fee`. */
function withFee(outputs: TxOutput[], fee: bigint, inputs = 1): UnsignedSpend {
  const total = outputs.reduce((s, o) => s + o.value, 0n) + fee;
  const each = total / BigInt(inputs);
  const values = Array.from({ length: inputs }, (_, i) =>
    i === 0 ? total - each * BigInt(inputs - 1) : each,
  );
  return spendOf(vault, values, outputs);
}

const check = (spend: UnsignedSpend) => checkSpend(vault, serializeUnsignedSpend(spend), false);

function refusal(spend: UnsignedSpend): ProposalRefusedError {
  try {
    check(spend);
  } catch (err) {
    if (err instanceof ProposalRefusedError) return err;
    throw err;
  }
  throw new Error('checkSpend accepted the spend');
}

const change = (value: bigint): TxOutput => ({ value, script: vault.script });

describe('checkSpend refuses what lotusd would not relay (policy/policy.cpp, validation.cpp)', () => {
  it('refuses a 545-sat payment to P2PKH (dust 546) and says so in XPI', () => {
    const err = refusal(withFee([{ value: 545n, script: payee }, change(100_000n)], 1_000n));
    expect(err.reason).toBe('dust');
    expect(err.message).toMatch(
      /\(output 0\) pays 0\.000545 XPI, below the network's dust limit of 0\.000546 XPI$/,
    );
    expect(err.message).toContain('lotusR');
    expect(() =>
      check(withFee([{ value: 546n, script: payee }, change(100_000n)], 1_000n)),
    ).not.toThrow();
  });

  it('refuses 578 sats to a Taproot address (dust 579), and dust change back to the vault', () => {
    expect(refusal(withFee([{ value: 578n, script: taprootPayee }], 1_000n)).reason).toBe('dust');
    expect(() => check(withFee([{ value: 579n, script: taprootPayee }], 1_000n))).not.toThrow();
    const err = refusal(withFee([{ value: 10_000n, script: payee }, change(578n)], 1_000n));
    expect(err.reason).toBe('dust');
    expect(err.message).toMatch(/^The change to the vault \(output 1\) pays 0\.000578 XPI/);
  });

  it('refuses a 100-sat fee: the signed 1-in/2-out spend is 196 bytes, 1 sat/byte', () => {
    const outputs = [{ value: 50_000n, script: payee }, change(50_000n)];
    const err = refusal(withFee(outputs, 100n));
    expect(err.reason).toBe('fee-too-low');
    expect(err.message).toBe(
      "The fee of 0.0001 XPI is below the network's minimum of 0.000196 XPI for this 196-byte transaction (1 sat per byte)",
    );
    expect(refusal(withFee(outputs, 195n)).reason).toBe('fee-too-low');
    expect(check(withFee(outputs, 196n)).summary.feeSats).toBe(196n);
  });

  it('counts each input at its signed size (66-byte key-path scriptSig), not the unsigned one', () => {
    const outputs = [{ value: 50_000n, script: payee }];
    const unsigned = withFee(outputs, 0n, 3);
    const signedSize = txSize(unsigned.tx) + 3 * KEYPATH_SCRIPTSIG_BYTES;
    expect(signedSize).toBe(10 + 3 * 107 + 34);
    expect(refusal(withFee(outputs, BigInt(txSize(unsigned.tx)), 3)).reason).toBe('fee-too-low');
    expect(refusal(withFee(outputs, BigInt(signedSize - 1), 3)).reason).toBe('fee-too-low');
    expect(() => check(withFee(outputs, BigInt(signedSize), 3))).not.toThrow();
  });

  it('refuses more than 3 OP_RETURN outputs, or one over 223 bytes of script', () => {
    const data = (n: number): TxOutput => ({
      value: 0n,
      script: opReturnScript([new Uint8Array(n)]),
    });
    const pay = { value: 10_000n, script: payee };
    const four = refusal(withFee([pay, data(4), data(4), data(4), data(4)], 1_000n));
    expect(four.reason).toBe('op-return');
    expect(four.message).toBe('The spend has 4 OP_RETURN outputs; the network relays at most 3');
    expect(() => check(withFee([pay, data(4), data(4), data(4)], 1_000n))).not.toThrow();
    expect(data(220).script.length).toBe(223);
    const big = refusal(withFee([pay, data(221)], 1_000n));
    expect(big.reason).toBe('op-return');
    expect(big.message).toBe('OP_RETURN output 1 is 224 bytes; the network relays at most 223');
    expect(() => check(withFee([pay, data(220)], 1_000n))).not.toThrow();
  });

  it('refuses a spend whose signed transaction is over 100,000 bytes', () => {
    // version 4 + 1 + one signed input 107 + output count 3 + n × 34 (P2PKH) + locktime 4
    const outputs = (n: number) =>
      Array.from({ length: n }, () => ({ value: 1_000n, script: payee }));
    expect(4 + 1 + 107 + 3 + 2937 * 34 + 4).toBe(99_977);
    expect(() => check(withFee(outputs(2937), 100_000n))).not.toThrow();
    const err = refusal(withFee(outputs(2938), 100_000n));
    expect(err.reason).toBe('tx-size');
    expect(err.message).toBe(
      'The signed transaction would be 100,011 bytes; the network relays at most 100,000',
    );
  });
});

describe('a vault session never asks anyone to sign what the network drops', () => {
  let group: Group | undefined;
  afterEach(async () => {
    await group?.stop();
    group = undefined;
  });

  it('the proposer refuses a dust payment with a typed error before anything leaves', async () => {
    group = await createGroup(2);
    const heard: SessionView[] = [];
    group.members[1]!.service.on('proposal', (v) => heard.push(v));
    const err = await group.members[0]!.service.propose(
      group.vault.id,
      group.spend([50_000_000n], 545n),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProposalRefusedError);
    expect((err as ProposalRefusedError).reason).toBe('dust');
    expect((err as Error).message).toContain('0.000545 XPI');
    await new Promise((r) => setTimeout(r, 50));
    expect(heard).toEqual([]);
    expect(group.members[0]!.service.sessions()).toEqual([]);
  });

  it('the proposer refuses a fee below 1 sat per signed byte', async () => {
    group = await createGroup(2);
    const spend = group.spend([50_000_000n]);
    const last = spend.tx.outputs[spend.tx.outputs.length - 1]!;
    last.value += 1_200n - 100n; // the helper's fee (1,000 + 200 per input) down to 100 sats
    const err = await group.members[0]!.service.propose(group.vault.id, spend).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProposalRefusedError);
    expect((err as ProposalRefusedError).reason).toBe('fee-too-low');
  });

  it('a member refuses a crafted proposal paying dust, and blames its author', async () => {
    const crafted: { spend?: UnsignedSpend } = {};
    // Member 0 sends, signed with its own key, a proposal whose spend pays 545 sats.
    const tamper: Tamper = (member, env, _to, reseal) => {
      if (member !== 0 || env.type !== MessageType.proposal || !crafted.spend) return undefined;
      const body = decodePayload(env.type, env.payload).body as ProposalPayload;
      const payload = encodeProposal({ ...body, spend: serializeUnsignedSpend(crafted.spend) });
      return reseal({ ...env, payload, sessionId: sessionIdOf(env.vaultId, 0, payload) });
    };
    group = await createGroup(2, { tamper });
    crafted.spend = group.spend([50_000_000n], 545n);
    const refused: { reason: string; message: string }[] = [];
    const heard: SessionView[] = [];
    group.members[1]!.service.on('refused', (r) => refused.push(r));
    group.members[1]!.service.on('proposal', (v) => heard.push(v));
    await group.members[0]!.service.propose(group.vault.id, group.spend([50_000_000n]));
    await new Promise((r) => setTimeout(r, 100));
    expect(refused.map((r) => r.reason)).toContain('dust');
    expect(refused.find((r) => r.reason === 'dust')?.message).toMatch(
      /pays 0\.000545 XPI, below the network's dust limit of 0\.000546 XPI$/,
    );
    expect(heard).toEqual([]);
    expect(group.members[1]!.service.reputation.score('peer-0')).toBeLessThan(0);
  });
});

describe('finalTransaction', () => {
  /** Every member's MuSig2 round over `checked`, in memory, as the session runs it. */
  function signAll(checked: CheckedSpend) {
    const ctx = applyTaprootTweak(keyAgg(vault.members));
    const sessionId = randomBytes(32);
    // Member order is the vault's (sorted keys).
    const keys = [...secrets]
      .sort((a, b) => memberIndex(vault, getPublicKey(a)) - memberIndex(vault, getPublicKey(b)))
      .map((secret) => signingKeyOf(secret));
    const own = keys.map((key, i) => makeNonces(ctx, key, checked, sessionId, 1, i));
    const aggNonces = aggregateNonces(
      own.map((o) => o.pubNonces),
      checked.sighashes.length,
    );
    const partials = keys.map((key, i) =>
      signInputs(ctx, key, own[i]!.secNonces, aggNonces, checked),
    );
    return () => finalTransaction(ctx, partials, aggNonces, checked);
  }

  /** What checkSpend would return, built by hand so the relay checks there are skipped. */
  function unchecked(spend: UnsignedSpend): CheckedSpend {
    const replay = { active: false };
    const sighashes = spend.tx.inputs.map((_, i) =>
      sighashLotus(spend.tx, i, spend.spent, spend.hashType, undefined, replay),
    );
    const inputTotal = spend.spent.reduce((s, o) => s + o.value, 0n);
    const feeSats = inputTotal - spend.tx.outputs.reduce((s, o) => s + o.value, 0n);
    return {
      spend,
      sighashes,
      sighashDigest: sighashDigest(sighashes),
      replay,
      summary: {
        vaultId: vault.id,
        txid: '',
        inputCount: spend.tx.inputs.length,
        inputTotal,
        payments: [],
        change: 0n,
        feeSats,
        feeRate: 0,
      },
    };
  }

  it('builds a valid, relayable transaction from every member’s partial signatures', () => {
    const final = signAll(
      check(withFee([{ value: 50_000n, script: payee }, change(50_000n)], 196n)),
    )();
    expect(final.tx.length).toBe(196);
  });

  it('refuses to hand over a signed transaction whose fee is below the relay minimum', () => {
    const finalize = signAll(
      unchecked(withFee([{ value: 50_000n, script: payee }, change(50_000n)], 100n)),
    );
    expect(finalize).toThrow(PolicyError);
    expect(finalize).toThrow(expect.objectContaining({ reason: 'fee' }));
  });

  it('refuses to hand over a signed transaction with a dust output', () => {
    const finalize = signAll(
      unchecked(withFee([{ value: 545n, script: payee }, change(50_000n)], 1_000n)),
    );
    expect(finalize).toThrow(expect.objectContaining({ name: 'PolicyError', reason: 'dust' }));
  });
});
